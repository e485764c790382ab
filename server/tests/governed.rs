//! Governed spaces at the relay: the membership log decides who is admitted and who may write,
//! a removed device is served nothing more, old epochs are refused, and a person can erase
//! their own space.

mod support;

use amplify::{
    Cert, ClientFrame, DeviceKey, Payload, PayloadKind, Reject, RelayFrame, Sealed, SpaceId, SpaceSecret,
    members::{Action, AgreementKey, EpochKey, InviteKey, MemberRole, Op, Recipient, State},
};
use server::Limits;
use support::{Client, Member, Relay};

const DAY: i64 = 86_400_000;

/// Now, on the relay's clock (invites are held to it).
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A device of a governed space: its keys, and a personal (legacy) space so it can connect.
struct Device {
    key: DeviceKey,
    agreement: AgreementKey,
    person: SpaceId,
    personal: amplify::SpaceKeys,
}

impl Device {
    fn new() -> Device {
        let personal = SpaceSecret::generate().keys();
        Device {
            key: DeviceKey::generate(),
            agreement: AgreementKey::generate(),
            person: personal.id,
            personal,
        }
    }

    /// Connects with its personal certificate and a claim to `spaces`.
    async fn connect(&self, relay: &Relay, spaces: &[SpaceId]) -> Client {
        let mut certs = vec![self.personal.admit(self.key.id())];
        certs.extend(spaces.iter().map(|s| Cert::governed(*s, self.key.id())));
        let member = Member { device: DeviceKey::from_bytes(self.key.to_bytes()), certs };
        Client::connect(relay.addr, &member).await
    }

    fn seal(&self, state: &State, key: &EpochKey, text: &[u8]) -> Sealed {
        let payload = Payload { doc: "group/x".into(), kind: PayloadKind::Changes, bytes: text.to_vec() };
        Sealed::seal_governed(
            state.space(),
            &key.content(),
            state.epoch(),
            &key.content(),
            &self.key,
            &payload,
        )
    }
}

/// Sends `ops` for `space` and returns the relay's answer.
async fn send(client: &mut Client, space: SpaceId, ops: Vec<Op>) -> RelayFrame {
    client.send(&ClientFrame::Members { request: 77, space, ops }).await;
    loop {
        match client.recv().await {
            RelayFrame::Members { .. } => {}
            answer => return answer,
        }
    }
}

/// Maya's new governed space: the genesis and its first key, sent to the relay.
async fn create(relay: &Relay, maya: &Device) -> (State, EpochKey, Client) {
    let genesis = Op::create_space(&maya.key, maya.agreement.public(), Some(maya.person), 0, 0);
    let mut state = State::new(genesis.space);
    state.add(genesis.clone()).unwrap();
    let (first, key) = state.rotate(&maya.key, 0);
    state.add(first.clone()).unwrap();
    let mut client = maya.connect(relay, &[]).await;
    assert!(matches!(send(&mut client, state.space(), vec![genesis, first]).await, RelayFrame::Ack { .. }));
    (state, key, client)
}

/// An invite Maya opens for `role` (for a week), and the op Sam joins with, `at_ms` from now.
fn invite_and_join(state: &mut State, maya: &Device, sam: &Device, role: MemberRole, at_ms: i64) -> (Op, Op) {
    let invite = InviteKey::generate();
    let open = Action::invite(&invite, (role, 0), now() + 7 * DAY, 1, None);
    let open = Op::by_device(state.space(), state.heads(), 1, open, &maya.key);
    state.add(open.clone()).unwrap();
    let join = Action::Join { device: sam.key.id(), agreement: sam.agreement.public(), person: sam.person };
    let join = Op::by_invite(state.space(), vec![open.id()], now() + at_ms, join, &invite.signing());
    (open, join)
}

#[tokio::test]
async fn a_removed_device_is_served_nothing_more_and_its_writes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), Limits::default()).await;
    removal_between(&relay, &relay).await;
    relay.stop().await;
}

/// The same with Maya on one relay instance and Sam on another, on one PostgreSQL database:
/// Sam's join made through one is known to the other, and Maya's removal through hers reaches
/// Sam's session on his.
#[tokio::test]
async fn a_removal_made_through_one_instance_reaches_the_device_on_another() {
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = support::database_for(a_dir.path());
    let flags = ["--open-admission", "--database-url", url.as_str()];
    let start = |dir| Relay::start_with(dir, Limits::default(), server::NetLimits::default(), &flags);
    let (a, b) = (start(a_dir.path()).await, start(b_dir.path()).await);
    removal_between(&a, &b).await;
    a.stop().await;
    b.stop().await;
}

/// Maya (connected to `maya_at`) invites Sam (connected to `sam_at`), then removes him.
async fn removal_between(maya_at: &Relay, sam_at: &Relay) {
    let relay = sam_at;
    let (maya, sam) = (Device::new(), Device::new());
    let (mut state, key, mut maya_client) = create(maya_at, &maya).await;
    let space = state.space();
    let (open, join) = invite_and_join(&mut state, &maya, &sam, MemberRole::Writer, DAY);
    assert!(matches!(send(&mut maya_client, space, vec![open]).await, RelayFrame::Ack { .. }));
    // Sam is not admitted before joining.
    let mut sam_client = sam.connect(relay, &[space]).await;
    sam_client.send(&ClientFrame::Subscribe { space, cursors: vec![] }).await;
    assert!(matches!(sam_client.recv().await, RelayFrame::Reject { code: Reject::NotAdmitted, .. }));
    assert!(matches!(send(&mut sam_client, space, vec![join.clone()]).await, RelayFrame::Ack { .. }));
    state.add(join).unwrap();
    // A device learns the governed spaces it is in from the relay (how a recovery code finds
    // its person's spaces): connecting with no claim at all.
    let mut bare = Client::raw(relay.addr).await;
    let RelayFrame::Challenge { nonce } = bare.recv().await else { panic!() };
    bare.send(&ClientFrame::Auth {
        device: sam.key.id(),
        signature: sam.key.sign_challenge(&nonce),
        certs: vec![],
        compact: true,
    })
    .await;
    assert!(matches!(bare.recv().await, RelayFrame::Welcome { spaces, .. } if spaces == [space]));
    let frames = sam_client.subscribe(space, vec![]).await;
    assert!(matches!(&frames[0], RelayFrame::Members { ops, .. } if ops.len() == 4), "the log comes first");
    let blob = sam.seal(&state, &key, b"Sam's first words");
    assert!(matches!(sam_client.put(1, &blob).await, RelayFrame::Ack { .. }));

    // Maya removes Sam and rotates: Sam's session is told, and served nothing more.
    let removal = Op::by_device(space, state.heads(), 2, Action::Remove { device: sam.key.id() }, &maya.key);
    state.add(removal.clone()).unwrap();
    let (rotation, second) = state.rotate(&maya.key, 3);
    state.add(rotation.clone()).unwrap();
    assert!(matches!(send(&mut maya_client, space, vec![removal, rotation]).await, RelayFrame::Ack { .. }));
    loop {
        match sam_client.recv().await {
            RelayFrame::Removed { space: s } if s == space => break,
            RelayFrame::Members { .. } | RelayFrame::Blob { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    let after = sam.seal(&state, &key, b"written after the removal");
    assert!(matches!(sam_client.put(2, &after).await, RelayFrame::Reject { code: Reject::NotAdmitted, .. }));
    // Maya's own old-epoch blob is refused: she must seal it again under the new key.
    let stale = maya.seal(
        &{
            let mut s = State::new(space);
            s.add_all(state.ops().into_iter().take(2).cloned());
            s
        },
        &key,
        b"x",
    );
    assert!(matches!(maya_client.put(3, &stale).await, RelayFrame::Reject { code: Reject::StaleEpoch, .. }));
    assert!(matches!(maya_client.put(4, &maya.seal(&state, &second, b"fine")).await, RelayFrame::Ack { .. }));
    // Reconnecting changes nothing for Sam.
    let mut again = sam.connect(relay, &[space]).await;
    again.send(&ClientFrame::Subscribe { space, cursors: vec![] }).await;
    assert_eq!(again.recv().await, RelayFrame::Removed { space }, "told it was removed, and nothing else");
}

#[tokio::test]
async fn forged_and_expired_membership_and_readers_writing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), Limits::default()).await;
    let (maya, sam, eve) = (Device::new(), Device::new(), Device::new());
    let (mut state, key, mut maya_client) = create(&relay, &maya).await;
    let space = state.space();
    // An invite used after it expired.
    let (open, late) = invite_and_join(&mut state, &maya, &eve, MemberRole::Writer, 8 * DAY);
    assert!(matches!(send(&mut maya_client, space, vec![open]).await, RelayFrame::Ack { .. }));
    let mut eve_client = eve.connect(&relay, &[space]).await;
    assert!(matches!(
        send(&mut eve_client, space, vec![late]).await,
        RelayFrame::Reject { code: Reject::NotAllowed, .. }
    ));
    // Eve adding herself, signing as if a member.
    let forged = Action::Add {
        device: eve.key.id(),
        agreement: eve.agreement.public(),
        person: eve.person,
        role: MemberRole::Admin,
        tag: 0,
    };
    let forged = Op::by_device(space, state.heads(), 5, forged, &eve.key);
    assert!(matches!(
        send(&mut eve_client, space, vec![forged]).await,
        RelayFrame::Reject { code: Reject::NotAllowed, .. }
    ));
    // A reader reads but cannot write.
    let (open, join) = invite_and_join(&mut state, &maya, &sam, MemberRole::Reader, DAY);
    assert!(matches!(send(&mut maya_client, space, vec![open]).await, RelayFrame::Ack { .. }));
    let mut sam_client = sam.connect(&relay, &[space]).await;
    assert!(matches!(send(&mut sam_client, space, vec![join.clone()]).await, RelayFrame::Ack { .. }));
    state.add(join).unwrap();
    let blob = sam.seal(&state, &key, b"an executive's note");
    assert!(matches!(sam_client.put(1, &blob).await, RelayFrame::Reject { code: Reject::ReadOnly, .. }));
    assert!(
        state.keys_for(Recipient::Device(sam.key.id()), &sam.agreement).is_empty(),
        "keys come via the invite"
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_person_erases_their_own_space_and_nothing_of_it_is_served_again() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), Limits::default()).await;
    let journal = SpaceSecret::generate().keys();
    let (phone, laptop) = (Member::of(&[&journal]), Member::of(&[&journal]));
    let mut a = Client::connect(relay.addr, &phone).await;
    let mut b = Client::connect(relay.addr, &laptop).await;
    b.subscribe(journal.id, vec![]).await;
    let blob = phone.seal(&journal, "journal/2026-11", b"private words");
    assert!(matches!(a.put(1, &blob).await, RelayFrame::Ack { .. }));
    assert!(matches!(b.recv().await, RelayFrame::Blob { .. }));
    // A request not signed by the space is refused.
    a.send(&ClientFrame::Erase {
        request: 2,
        space: journal.id,
        signature: phone.device.erase_request(journal.id),
    })
    .await;
    assert!(matches!(a.recv().await, RelayFrame::Reject { code: Reject::Forged, .. }));
    a.send(&ClientFrame::Erase { request: 3, space: journal.id, signature: journal.erase_request() }).await;
    assert!(matches!(a.recv().await, RelayFrame::Ack { request: 3, .. }));
    assert_eq!(b.recv().await, RelayFrame::Removed { space: journal.id }, "other devices are told");
    let newcomer = Member::of(&[&journal]);
    let mut fresh = Client::connect(relay.addr, &newcomer).await;
    assert!(fresh.subscribe(journal.id, vec![]).await.is_empty(), "nothing is served again");
    let again = newcomer.seal(&journal, "journal/2026-11", b"more");
    let answer = fresh.put(4, &again).await;
    assert!(
        matches!(answer, RelayFrame::Reject { code: Reject::NotAdmitted | Reject::NotRegistered, .. }),
        "{answer:?}"
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_governed_space_is_erased_by_an_admin_and_by_nobody_else() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), Limits::default()).await;
    let (maya, sam) = (Device::new(), Device::new());
    let (mut state, key, mut maya_client) = create(&relay, &maya).await;
    let space = state.space();
    let (open, join) = invite_and_join(&mut state, &maya, &sam, MemberRole::Writer, DAY);
    assert!(matches!(send(&mut maya_client, space, vec![open]).await, RelayFrame::Ack { .. }));
    let mut sam_client = sam.connect(&relay, &[space]).await;
    assert!(matches!(send(&mut sam_client, space, vec![join.clone()]).await, RelayFrame::Ack { .. }));
    state.add(join).unwrap();
    sam_client.subscribe(space, vec![]).await;
    assert!(matches!(
        maya_client.put(1, &maya.seal(&state, &key, b"the group's words")).await,
        RelayFrame::Ack { .. }
    ));
    // A writer may not erase the space; a forged request neither.
    sam_client.send(&ClientFrame::Erase { request: 5, space, signature: sam.key.erase_request(space) }).await;
    assert!(matches!(skip_live(&mut sam_client).await, RelayFrame::Reject { code: Reject::Forged, .. }));
    maya_client
        .send(&ClientFrame::Erase { request: 6, space, signature: maya.key.erase_request(space) })
        .await;
    assert!(matches!(skip_live(&mut maya_client).await, RelayFrame::Ack { request: 6, .. }));
    loop {
        match sam_client.recv().await {
            RelayFrame::Removed { space: s } if s == space => break,
            RelayFrame::Members { .. } | RelayFrame::Blob { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    // Nothing of it is served or stored again, and a new log cannot start it over.
    let mut again = sam.connect(&relay, &[space]).await;
    again.send(&ClientFrame::Subscribe { space, cursors: vec![] }).await;
    assert!(matches!(again.recv().await, RelayFrame::Reject { code: Reject::NotAdmitted, .. }));
    let restart = Op::create_space(&sam.key, sam.agreement.public(), Some(sam.person), 0, 0);
    assert!(matches!(
        send(&mut again, space, vec![Op { space, ..restart }]).await,
        RelayFrame::Reject { .. }
    ));
    relay.stop().await;
}

/// The next answer, past live frames.
async fn skip_live(client: &mut Client) -> RelayFrame {
    loop {
        match client.recv().await {
            RelayFrame::Members { .. } | RelayFrame::Blob { .. } => {}
            other => return other,
        }
    }
}

#[tokio::test]
async fn joins_are_first_come_first_served_and_a_revoked_invite_admits_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), Limits::default()).await;
    let (maya, sam, aiko) = (Device::new(), Device::new(), Device::new());
    let (mut state, _, mut maya_client) = create(&relay, &maya).await;
    let space = state.space();
    let invite = InviteKey::generate();
    let open = Action::invite(&invite, (MemberRole::Writer, 0), now() + DAY, 1, None);
    let open = Op::by_device(space, state.heads(), now(), open, &maya.key);
    state.add(open.clone()).unwrap();
    assert!(matches!(send(&mut maya_client, space, vec![open.clone()]).await, RelayFrame::Ack { .. }));
    let join = |who: &Device| {
        let action =
            Action::Join { device: who.key.id(), agreement: who.agreement.public(), person: who.person };
        Op::by_invite(space, vec![open.id()], now(), action, &invite.signing())
    };
    let mut sam_client = sam.connect(&relay, &[space]).await;
    assert!(matches!(send(&mut sam_client, space, vec![join(&sam)]).await, RelayFrame::Ack { .. }));
    let mut aiko_client = aiko.connect(&relay, &[space]).await;
    let refused = send(&mut aiko_client, space, vec![join(&aiko)]).await;
    assert!(
        matches!(&refused, RelayFrame::Reject { code: Reject::NotAllowed, message, .. } if message.contains("used up")),
        "{refused:?}"
    );

    // Another invite, revoked before anyone used it.
    let second = InviteKey::generate();
    let open = Action::invite(&second, (MemberRole::Writer, 0), now() + DAY, 6, None);
    let open = Op::by_device(space, state.heads(), now(), open, &maya.key);
    state.add(open.clone()).unwrap();
    let revoke =
        Op::by_device(space, state.heads(), now(), Action::RevokeInvite { invite: second.id() }, &maya.key);
    assert!(matches!(
        send(&mut maya_client, space, vec![open.clone(), revoke]).await,
        RelayFrame::Ack { .. }
    ));
    let late =
        Action::Join { device: aiko.key.id(), agreement: aiko.agreement.public(), person: aiko.person };
    let late = Op::by_invite(space, vec![open.id()], now(), late, &second.signing());
    let refused = send(&mut aiko_client, space, vec![late]).await;
    assert!(
        matches!(&refused, RelayFrame::Reject { code: Reject::NotAllowed, message, .. } if message.contains("revoked")),
        "{refused:?}"
    );
    relay.stop().await;
}
