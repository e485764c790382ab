//! Membership logs: who may do what, removals that win, invites that run out, rotations that
//! leave removed devices behind, and replicas that agree whatever order operations arrive in.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;

use super::*;
use crate::crypto::{DeviceKey, SpaceId};

const DAY: i64 = 86_400_000;

/// A device with its keys, and the person it belongs to.
struct Device {
    key: DeviceKey,
    agreement: AgreementKey,
    person: SpaceId,
}

impl Device {
    fn new(person: u8) -> Device {
        Device {
            key: DeviceKey::generate(),
            agreement: AgreementKey::generate(),
            person: SpaceId([person; 32]),
        }
    }

    fn id(&self) -> crate::DeviceId {
        self.key.id()
    }

    fn add(&self, state: &State, other: &Device, role: MemberRole) -> Op {
        let action = Action::Add {
            device: other.id(),
            agreement: other.agreement.public(),
            person: other.person,
            role,
            tag: 0,
        };
        Op::by_device(state.space(), state.heads(), 1, action, &self.key)
    }

    fn remove(&self, state: &State, other: &Device) -> Op {
        Op::by_device(state.space(), state.heads(), 2, Action::Remove { device: other.id() }, &self.key)
    }

    fn keys(&self, state: &State) -> Vec<(u32, EpochKey)> {
        state.keys_for(Recipient::Device(self.id()), &self.agreement)
    }
}

/// A new space created by `creator`, with its first epoch's key (epoch 1) sealed to it.
fn space(creator: &Device) -> (State, EpochKey) {
    let space_key = SigningKey::from_bytes(&crate::random_bytes());
    let genesis = Op::genesis(&space_key, &creator.key, creator.agreement.public(), creator.person, 0, 0);
    let mut state = State::new(genesis.space);
    state.add(genesis).unwrap();
    let (first, key) = state.rotate(&creator.key, 0);
    state.add(first).unwrap();
    (state, key)
}

#[test]
fn the_creator_admits_and_removes_and_nobody_else_manages() {
    let (maya, sam, eve) = (Device::new(1), Device::new(2), Device::new(3));
    let (mut state, _) = space(&maya);
    state.add(maya.add(&state, &sam, MemberRole::Writer)).unwrap();
    assert_eq!(state.member(sam.id()).map(|m| m.role), Some(MemberRole::Writer));
    // A writer cannot add someone else, nor make itself admin; a stranger can do nothing.
    assert!(matches!(
        state.add(sam.add(&state, &eve, MemberRole::Writer)),
        Err(MembershipError::NotAllowed(_))
    ));
    let mut promoted = Device::new(2);
    promoted.key = DeviceKey::from_bytes(sam.key.to_bytes());
    assert!(
        state.add(sam.add(&state, &promoted, MemberRole::Admin)).is_err(),
        "a writer cannot make itself admin"
    );
    assert!(state.add(eve.remove(&state, &maya)).is_err());
    // The space's own key signs nothing but the genesis.
    let forged = Op {
        signer: Signer::Genesis,
        ..Op::by_device(state.space(), state.heads(), 3, Action::Remove { device: maya.id() }, &eve.key)
    };
    assert!(state.add(forged).is_err());
    state.add(maya.remove(&state, &sam)).unwrap();
    assert!(state.member(sam.id()).is_none());
}

#[test]
fn a_removal_wins_over_an_add_it_did_not_know_of_and_a_later_add_readmits() {
    let (maya, sam) = (Device::new(1), Device::new(2));
    let (mut state, _) = space(&maya);
    state.add(maya.add(&state, &sam, MemberRole::Writer)).unwrap();
    let mut other = state.clone();
    // Concurrently: one admin removes Sam, the other adds him again (from a past without it).
    let removal = maya.remove(&state, &sam);
    let readd = maya.add(&other, &sam, MemberRole::Writer);
    state.add(removal.clone()).unwrap();
    assert!(state.add(readd.clone()).unwrap_or(false) || state.contains(&readd.id()));
    other.add(readd).ok();
    other.add(removal).unwrap();
    assert!(state.member(sam.id()).is_none() && other.member(sam.id()).is_none(), "removal wins");
    // An add made knowing of the removal admits him again.
    state.add(maya.add(&state, &sam, MemberRole::Writer)).unwrap();
    assert!(state.member(sam.id()).is_some());
}

#[test]
fn an_invite_expires_runs_out_can_be_revoked_and_never_admits_someone_already_here() {
    let maya = Device::new(1);
    let (mut state, _) = space(&maya);
    let invite = InviteKey::generate();
    let open = Action::invite(&invite, (MemberRole::Writer, 0), 7 * DAY, 2, None);
    state.add(Op::by_device(state.space(), state.heads(), 1, open, &maya.key)).unwrap();
    let join = |state: &State, who: &Device, at_ms: i64| {
        let action = Action::Join { device: who.id(), agreement: who.agreement.public(), person: who.person };
        Op::by_invite(state.space(), state.heads(), at_ms, action, &invite.signing())
    };
    let (sam, ana, bo, maya_again) = (Device::new(2), Device::new(3), Device::new(4), Device::new(1));
    assert!(state.add(join(&state, &sam, 8 * DAY)).is_err(), "too late");
    assert!(state.add(join(&state, &maya_again, DAY)).is_err(), "Maya is here already");
    state.add(join(&state, &sam, DAY)).unwrap();
    state.add(join(&state, &ana, DAY)).unwrap();
    assert!(state.add(join(&state, &bo, DAY)).is_err(), "two uses");
    let shown = state.invites().next().unwrap();
    assert_eq!(shown.joined, [sam.id(), ana.id()]);
    assert_eq!(state.member(ana.id()).and_then(|m| m.via), Some(invite.id()));

    let second = InviteKey::generate();
    let open = Action::invite(&second, (MemberRole::Reader, 0), 7 * DAY, 10, None);
    state.add(Op::by_device(state.space(), state.heads(), 1, open, &maya.key)).unwrap();
    state
        .add(Op::by_device(
            state.space(),
            state.heads(),
            2,
            Action::RevokeInvite { invite: second.id() },
            &maya.key,
        ))
        .unwrap();
    let late = Action::Join { device: bo.id(), agreement: bo.agreement.public(), person: bo.person };
    assert!(state.add(Op::by_invite(state.space(), state.heads(), 3, late, &second.signing())).is_err());
    assert!(state.needs_rotation(), "a revoked invite's holder may have read the key");
}

#[test]
fn concurrent_joins_beyond_an_invites_uses_are_left_out_the_same_way_everywhere() {
    let maya = Device::new(1);
    let (mut state, _) = space(&maya);
    let invite = InviteKey::generate();
    let open = Action::invite(&invite, (MemberRole::Writer, 0), DAY, 1, None);
    state.add(Op::by_device(state.space(), state.heads(), 1, open, &maya.key)).unwrap();
    let joins: Vec<Op> = [Device::new(2), Device::new(3)]
        .iter()
        .map(|who| {
            let action =
                Action::Join { device: who.id(), agreement: who.agreement.public(), person: who.person };
            Op::by_invite(state.space(), state.heads(), 1, action, &invite.signing())
        })
        .collect();
    let (mut a, mut b) = (state.clone(), state.clone());
    a.add_all(joins.clone());
    b.add_all(joins.into_iter().rev());
    let members = |s: &State| s.members().map(|m| m.device).collect::<Vec<_>>();
    assert_eq!(members(&a), members(&b));
    assert_eq!(members(&a).len(), 2, "Maya and one joiner");
}

#[test]
fn a_rotation_leaves_the_removed_device_behind_and_everyone_else_gets_the_key() {
    let (maya, sam, ana) = (Device::new(1), Device::new(2), Device::new(3));
    let (mut state, first) = space(&maya);
    for who in [&sam, &ana] {
        state.add(maya.add(&state, who, MemberRole::Writer)).unwrap();
    }
    for op in state.share(
        &maya.key,
        &[(1, first.clone())],
        &[
            (Recipient::Device(sam.id()), sam.agreement.public()),
            (Recipient::Device(ana.id()), ana.agreement.public()),
        ],
        1,
    ) {
        state.add(op).unwrap();
    }
    assert_eq!(sam.keys(&state), [(1, first.clone())]);
    state.add(maya.remove(&state, &ana)).unwrap();
    assert!(state.needs_rotation());
    // A rotation that forgets a remaining member is refused.
    let partial = {
        let key = EpochKey::generate();
        let envelope =
            key.seal_for(Recipient::Device(maya.id()), maya.agreement.public(), state.space(), 2).unwrap();
        Op::by_device(
            state.space(),
            state.heads(),
            3,
            Action::Keys { epoch: 2, envelopes: vec![envelope] },
            &maya.key,
        )
    };
    assert!(state.add(partial).is_err());
    // Any remaining writer may rotate.
    let (rotation, second) = state.rotate(&sam.key, 4);
    state.add(rotation).unwrap();
    assert!(!state.needs_rotation());
    assert_eq!(state.epoch(), 2);
    assert!(maya.keys(&state).contains(&(2, second.clone())));
    assert!(sam.keys(&state).contains(&(2, second)));
    assert!(!ana.keys(&state).iter().any(|(epoch, _)| *epoch == 2), "the removed device gets nothing new");
    assert_eq!(ana.keys(&state), [(1, first)], "but keeps what it had");
}

#[test]
fn a_device_removes_its_own_persons_devices_and_nobody_elses() {
    let (maya, sam) = (Device::new(1), Device::new(2));
    let (laptop, phone) = (Device::new(2), Device::new(2));
    let (mut state, _) = space(&maya);
    state.add(maya.add(&state, &sam, MemberRole::Writer)).unwrap();
    state.add(sam.add(&state, &laptop, MemberRole::Writer)).unwrap();
    state.add(sam.add(&state, &phone, MemberRole::Writer)).unwrap();
    assert!(state.add(laptop.remove(&state, &maya)).is_err());
    state.add(laptop.remove(&state, &phone)).unwrap();
    assert_eq!(state.devices_of(SpaceId([2; 32])).len(), 2);
}

#[test]
fn readers_share_no_keys_and_rotate_nothing() {
    let (maya, exec) = (Device::new(1), Device::new(9));
    let (mut state, _) = space(&maya);
    state.add(maya.add(&state, &exec, MemberRole::Reader)).unwrap();
    assert!(!state.may_write(exec.id()));
    assert!(state.add(state.rotate(&exec.key, 1).0).is_err());
}

#[test]
fn nothing_a_removed_writer_signs_counts_any_more_whatever_key_it_uses() {
    let (maya, sam, exec) = (Device::new(1), Device::new(2), Device::new(9));
    let (mut state, _) = space(&maya);
    state.add(maya.add(&state, &sam, MemberRole::Writer)).unwrap();
    state.add(maya.add(&state, &exec, MemberRole::Reader)).unwrap();
    let stranger = Device::new(3);
    assert!(state.accepts(sam.id(), 1) && !state.accepts(exec.id(), 1) && !state.accepts(stranger.id(), 1));
    assert!(!state.accepts(sam.id(), 2), "no such epoch yet");
    state.add(maya.remove(&state, &sam)).unwrap();
    assert!(!state.accepts(sam.id(), 1), "removed: not even under the key it still holds");
    let (rotation, _) = state.rotate(&maya.key, 3);
    state.add(rotation).unwrap();
    assert!(!state.accepts(sam.id(), 1) && !state.accepts(sam.id(), 2));
    assert_eq!(state.person_of(sam.id()), Some(sam.person), "who it was is still known");
    assert!(state.gone(sam.person) && !state.gone(maya.person));
}

#[test]
fn a_revocation_wins_over_a_join_it_did_not_know_of() {
    let (maya, sam, ana) = (Device::new(1), Device::new(2), Device::new(3));
    let (mut state, _) = space(&maya);
    let invite = InviteKey::generate();
    let open = Action::invite(&invite, (MemberRole::Writer, 0), DAY, 5, None);
    let open = Op::by_device(state.space(), state.heads(), 1, open, &maya.key);
    state.add(open.clone()).unwrap();
    let join = |who: &Device| {
        let action = Action::Join { device: who.id(), agreement: who.agreement.public(), person: who.person };
        Op::by_invite(state.space(), vec![open.id()], 2, action, &invite.signing())
    };
    let (early, late) = (join(&sam), join(&ana));
    state.add(early).unwrap();
    // Maya had seen Sam's join when she revoked; Ana's was concurrent.
    let revoke = Op::by_device(
        state.space(),
        state.heads(),
        3,
        Action::RevokeInvite { invite: invite.id() },
        &maya.key,
    );
    let mut elsewhere = state.clone();
    state.add(revoke.clone()).unwrap();
    state.add(late.clone()).unwrap();
    elsewhere.add(late).unwrap();
    elsewhere.add(revoke).unwrap();
    for s in [&state, &elsewhere] {
        assert!(s.member(sam.id()).is_some(), "a join the revocation knew of stays");
        assert!(s.member(ana.id()).is_none(), "a concurrent one is left out, in every order");
    }
}

#[test]
fn a_device_link_admits_another_device_of_the_same_person_only() {
    let (phone, eve) = (Device::new(1), Device::new(3));
    let (mut state, _) = space(&phone);
    let link = InviteKey::generate();
    let open = |person| Action::invite(&link, (MemberRole::Admin, 0), DAY, 1, Some(person));
    // Only the person's own devices make one, and only for themselves.
    state.add(maya_with(&state, &phone, open(phone.person))).unwrap();
    let laptop = Device::new(1);
    let join = |state: &State, who: &Device, person| {
        let action = Action::Join { device: who.id(), agreement: who.agreement.public(), person };
        Op::by_invite(state.space(), state.heads(), 1, action, &link.signing())
    };
    assert!(state.add(join(&state, &eve, eve.person)).is_err(), "someone else cannot use it as themselves");
    state.add(join(&state, &laptop, laptop.person)).unwrap();
    assert_eq!(state.devices_of(phone.person).len(), 2);
    // A writer cannot make a link invite for someone else.
    let (mut other, _) = space(&phone);
    other.add(phone.add(&other, &eve, MemberRole::Writer)).unwrap();
    let forged = Op::by_device(other.space(), other.heads(), 1, open(phone.person), &eve.key);
    assert!(other.add(forged).is_err());
}

fn maya_with(state: &State, device: &Device, action: Action) -> Op {
    Op::by_device(state.space(), state.heads(), 1, action, &device.key)
}

#[test]
fn a_reader_passes_its_keys_to_its_own_devices_and_a_space_has_one_genesis() {
    let (maya, exec, tablet, other) = (Device::new(1), Device::new(9), Device::new(9), Device::new(8));
    let (mut state, first) = space(&maya);
    state.add(maya.add(&state, &exec, MemberRole::Reader)).unwrap();
    state.add(maya.add(&state, &other, MemberRole::Reader)).unwrap();
    state.add(exec.add(&state, &tablet, MemberRole::Reader)).unwrap();
    let to = |d: &Device| [(Recipient::Device(d.id()), d.agreement.public())];
    let mine = state.share(&exec.key, &[(1, first.clone())], &to(&tablet), 2);
    state.add_all(mine);
    assert_eq!(tablet.keys(&state), [(1, first.clone())]);
    let theirs = state.share(&exec.key, &[(1, first)], &to(&other), 3);
    assert!(state.add(theirs[0].clone()).is_err(), "not to someone else");
    // Whoever once held a space's own key cannot start its log over.
    let space_key = SigningKey::from_bytes(&[7; 32]);
    let genesis = |who: &Device| Op::genesis(&space_key, &who.key, who.agreement.public(), who.person, 0, 0);
    let mut state = State::new(genesis(&maya).space);
    state.add(genesis(&maya)).unwrap();
    assert_eq!(state.add(genesis(&other)), Err(MembershipError::NotAllowed("a space has one genesis")));
}

#[test]
fn operations_round_trip_and_tampering_is_caught() {
    let maya = Device::new(1);
    let (state, _) = space(&maya);
    let ops: Vec<Op> = state.ops().into_iter().cloned().collect();
    assert_eq!(decode_ops(&encode_ops(&ops)).unwrap(), ops);
    let mut tampered = ops[1].clone();
    tampered.at_ms += 1;
    assert!(!tampered.signature_verifies());
    let mut fresh = State::new(state.space());
    fresh.add(ops[0].clone()).unwrap();
    assert_eq!(fresh.add(tampered), Err(MembershipError::BadSignature));
}

proptest! {
    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Op::decode(&bytes);
        let _ = decode_ops(&bytes);
    }

    /// Random adds, removals and rotations by random devices, each replica receiving the
    /// operations in its own order: all agree, and a removed device can open no key of an epoch
    /// that came after its removal.
    #[test]
    fn replicas_agree_and_removed_devices_get_nothing_new(
        steps in prop::collection::vec((0u8..4, 0usize..5, 0usize..5), 1..25),
        orders in prop::collection::vec(any::<u64>(), 3),
    ) {
        let devices: Vec<Device> = (0..5).map(|i| Device::new(i as u8 + 1)).collect();
        let (mut state, _) = space(&devices[0]);
        for (kind, by, target) in steps {
            let (by, target) = (&devices[by], &devices[target]);
            let op = match kind {
                0 => by.add(&state, target, MemberRole::Writer),
                1 => by.add(&state, target, MemberRole::Admin),
                2 => by.remove(&state, target),
                _ => state.rotate(&by.key, 5).0,
            };
            // Operations that are not allowed are simply not part of the log.
            let _ = state.add(op);
        }
        let ops: Vec<Op> = state.ops().into_iter().cloned().collect();
        for seed in orders {
            let mut shuffled = ops.clone();
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut replica = State::new(state.space());
            prop_assert!(replica.add_all(shuffled).is_empty());
            let members = |s: &State| s.members().map(|m| (m.device, m.role)).collect::<Vec<_>>();
            prop_assert_eq!(members(&replica), members(&state));
            prop_assert_eq!(replica.epoch(), state.epoch());
        }
        // Whoever is out now can open no key newer than every rotation its removal preceded.
        for d in &devices {
            if state.member(d.id()).is_some() {
                continue;
            }
            let removed_at = state.ops().iter().filter(|op| matches!(op.action, Action::Remove { device } if device == d.id())).count();
            if removed_at > 0 && !state.needs_rotation() {
                let newest = d.keys(&state).iter().map(|(e, _)| *e).max();
                prop_assert!(newest.is_none_or(|e| e < state.epoch()), "a removed device holds the current key");
            }
        }
    }
}
