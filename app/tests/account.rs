//! The account and the keyring that carries its spaces to the person's other devices, in a
//! real browser (the account lives in IndexedDB).

use std::collections::BTreeMap;

use amplify::{
    CohortRole, DocId, Payload, PayloadKind, SealError, Sealed, SpaceId, SpaceSecret, decode_sealed,
    members::{Action, MemberRole, Op, Recipient, State},
};
use app::{
    Storage,
    account::{Access, Account, Governed, SpaceKind, cohort_tag},
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh_account(test: &str) -> Account {
    let storage = Storage::open(&format!("amplify-test-{test}-{}", js_sys::Math::random())).await.unwrap();
    Account::load_or_create(&storage).await.unwrap()
}

#[wasm_bindgen_test]
async fn another_device_joins_the_spaces_recorded_in_the_keyring() {
    let mut phone = fresh_account("keyring-phone").await;
    let group = phone.join(SpaceKind::HomeGroup, "Nordics Rising", Access::Member(SpaceSecret::generate()));
    let records = phone.keyring_records();
    assert_eq!(records.len(), 1, "the personal space is never in the keyring");

    let mut laptop = fresh_account("keyring-laptop").await;
    let (space, record) = &records[0];
    assert_eq!(laptop.adopt(space, record), Some(group));
    let joined = laptop.space(group).expect("the laptop is in the group");
    assert_eq!(
        (joined.kind, joined.name.as_str(), joined.can_write()),
        (SpaceKind::HomeGroup, "Nordics Rising", true)
    );
    assert_ne!(joined.cert, phone.space(group).unwrap().cert, "each device gets its own certificate");
    assert_eq!(laptop.adopt(space, record), None, "adopting twice joins once");
}

#[wasm_bindgen_test]
async fn a_damaged_or_mismatched_record_is_left_alone() {
    let mut laptop = fresh_account("keyring-bad").await;
    let before = laptop.spaces.len();
    let secret = SpaceSecret::from_bytes([7; 32]);
    let id = secret.keys().id.to_string();
    let hex: String = [7u8; 32].iter().map(|b| format!("{b:02x}")).collect();
    let group = format!(r#"{{"kind":"HomeGroup","name":"G","secret":"{hex}"}}"#);
    let personal = format!(r#"{{"kind":"Personal","name":"Not mine","secret":"{hex}"}}"#);
    assert_eq!(laptop.adopt(&id, "garbage"), None);
    assert_eq!(laptop.adopt(&"0".repeat(64), &group), None, "the key must match the space it is filed under");
    assert_eq!(laptop.adopt(&id, &personal), None, "a keyring cannot replace the personal space");
    assert_eq!(laptop.spaces.len(), before);
    assert!(laptop.adopt(&id, &group).is_some());
}

/// `guest` joins `host`'s governed `space` with an invite `host` opens, without a relay: the
/// join and the log travel by hand.
fn enter(host: &mut Account, guest: &mut Account, space: SpaceId, kind: SpaceKind, rights: (MemberRole, u8)) {
    let now = js_sys::Date::now() as i64;
    let opened = host.open_invite(space, rights, now + 86_400_000, 1, None, now).expect("an admin invites");
    let join = Action::Join {
        device: guest.device.id(),
        agreement: guest.agreement.public(),
        person: guest.personal().id(),
    };
    let join = Op::by_invite(space, vec![opened.opened], now, join, &opened.key.signing());
    host.take_ops(space, vec![join]);
    let log: Vec<Op> =
        host.space(space).unwrap().governed().unwrap().state().ops().into_iter().cloned().collect();
    let mut governed = Governed::new(State::new(space), BTreeMap::new());
    governed.take(log);
    governed.collect_keys(Recipient::Invite(opened.key.id()), &opened.key.agreement());
    guest.join(kind, "Amplify 2026", Access::Governed(governed));
}

fn sealed_by(who: &Account, space: SpaceId, doc: DocId) -> Sealed {
    let payload = Payload { doc: doc.to_string(), kind: PayloadKind::Changes, bytes: vec![1, 2, 3] };
    who.space(space).unwrap().governed().unwrap().seal(&who.device, &payload).unwrap()
}

#[wasm_bindgen_test]
async fn peers_drop_a_participants_forged_cohort_change_and_anything_a_removed_device_signs() {
    let mut team = fresh_account("governed-team").await;
    let mut maya = fresh_account("governed-maya").await;
    let cohort =
        team.create_governed(SpaceKind::Cohort, "Amplify 2026", cohort_tag(CohortRole::ProgrammeTeam));
    enter(
        &mut team,
        &mut maya,
        cohort,
        SpaceKind::Cohort,
        (MemberRole::Writer, cohort_tag(CohortRole::Participant)),
    );
    let (me, them) = (maya.personal().id(), team.personal().id());
    let open = |team: &Account, blob: &Sealed| team.space(cohort).unwrap().open(blob).map(|_| ());
    assert_eq!(open(&team, &sealed_by(&maya, cohort, DocId::PersonCard(cohort, me))), Ok(()), "her own card");
    assert_eq!(open(&team, &sealed_by(&maya, cohort, DocId::Cohort(cohort))), Err(SealError::NotTheirs));
    assert_eq!(
        open(&team, &sealed_by(&maya, cohort, DocId::PersonCard(cohort, them))),
        Err(SealError::NotTheirs)
    );
    assert_eq!(open(&team, &sealed_by(&maya, cohort, DocId::Story(cohort, them))), Err(SealError::NotTheirs));
    assert!(
        maya.seal(DocId::Cohort(cohort), b"x", PayloadKind::Changes, 0).is_none(),
        "her device does not even try"
    );
    assert!(team.seal(DocId::Cohort(cohort), b"x", PayloadKind::Changes, 0).is_some());

    // Removed: nothing she signs counts any more, not even under the key she still holds; and
    // she cannot open what is sealed after the rotation.
    let before = sealed_by(&maya, cohort, DocId::PersonCard(cohort, me));
    let now = js_sys::Date::now() as i64;
    let ops = team.remove_person(cohort, me, now);
    assert!(ops.iter().any(|op| team.space(cohort).unwrap().governed().unwrap().state().is_rotation(op)));
    assert_eq!(open(&team, &before), Err(SealError::NotAWriter));
    let after =
        decode_sealed(&team.seal(DocId::Cohort(cohort), b"new", PayloadKind::Changes, 0).unwrap().bytes)
            .unwrap();
    assert_eq!(after.epoch, 2);
    let taken = maya.take_ops(cohort, ops);
    assert!(taken.removed && taken.new_keys == 0, "no key for the new epoch reaches her");
    assert_eq!(maya.space(cohort).unwrap().open(&after).map(|_| ()), Err(SealError::Undecryptable));
    assert!(!maya.space(cohort).unwrap().can_write());
}

#[wasm_bindgen_test]
async fn what_waited_under_an_old_key_is_sealed_again_under_the_new_one() {
    let mut maya = fresh_account("governed-reseal-maya").await;
    let mut aiko = fresh_account("governed-reseal-aiko").await;
    let mut sam = fresh_account("governed-reseal-sam").await;
    let group = maya.create_governed(SpaceKind::HomeGroup, "Nordics Rising", 0);
    enter(&mut maya, &mut aiko, group, SpaceKind::HomeGroup, (MemberRole::Admin, 0));
    enter(&mut maya, &mut sam, group, SpaceKind::HomeGroup, (MemberRole::Admin, 0));
    // Aiko writes offline; meanwhile Maya removes Sam.
    let waiting = decode_sealed(
        &aiko.seal(DocId::Group(group), b"on the plane", PayloadKind::Changes, 0).unwrap().bytes,
    )
    .unwrap();
    let now = js_sys::Date::now() as i64;
    maya.remove_person(group, sam.personal().id(), now);
    assert!(aiko.reseal(&waiting).is_none(), "no newer key here yet");
    // Back online, the relay sends her the whole log.
    let log: Vec<Op> =
        maya.space(group).unwrap().governed().unwrap().state().ops().into_iter().cloned().collect();
    let taken = aiko.take_ops(group, log);
    assert_eq!(taken.new_keys, 1);
    let fresh = aiko.reseal(&waiting).expect("sealed again under the new key");
    assert_eq!((waiting.epoch, fresh.epoch), (1, 2));
    let opened = maya.space(group).unwrap().open(&fresh).unwrap();
    assert_eq!(opened.bytes, b"on the plane");
}
