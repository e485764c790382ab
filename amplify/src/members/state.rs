//! What a membership log means. An operation counts only if its signer had the right to make it
//! in the state of the operations it descends from (its causal past); the state itself is a pure
//! function of the set of counted operations, taken in a deterministic order, so every reader
//! computes the same one whatever order the operations arrived in.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use thiserror::Error;

use super::{
    keys::{AgreementKey, AgreementPub, EpochKey, open_envelope},
    ops::{Action, Envelope, InviteId, MemberRole, Op, OpId, Recipient, Signer},
};
use crate::{
    crypto::{DeviceId, SpaceId},
    doc_id::PersonId,
};

/// Why an operation was not taken in.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MembershipError {
    #[error("the operation belongs to another space")]
    OtherSpace,
    #[error("the operation's signature does not verify")]
    BadSignature,
    #[error("operations it builds on are missing")]
    MissingParents(Vec<OpId>),
    #[error("the signer may not do this: {0}")]
    NotAllowed(&'static str),
}

/// A member device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub device: DeviceId,
    pub agreement: AgreementPub,
    pub person: PersonId,
    pub role: MemberRole,
    /// The app's tag for it (a cohort role, a coaching side), from its invite or its adder.
    pub tag: u8,
    /// The invite it joined with, if it joined with one.
    pub via: Option<InviteId>,
    /// When it was admitted (on the admitting device's clock).
    pub since_ms: i64,
}

/// An invite, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: InviteId,
    pub agreement: AgreementPub,
    pub role: MemberRole,
    pub tag: u8,
    pub expires_ms: i64,
    pub uses: u32,
    /// For a device-linking invite: the person whose device joins with it.
    pub person: Option<PersonId>,
    pub by: DeviceId,
    pub made_ms: i64,
    pub revoked: bool,
    /// The devices that joined with it, in order.
    pub joined: Vec<DeviceId>,
}

impl Invite {
    /// Whether it may still admit someone (at `now_ms`).
    pub fn live(&self, now_ms: i64) -> bool {
        !self.revoked && now_ms <= self.expires_ms && (self.joined.len() as u32) < self.uses
    }
}

/// What the log's counted operations say.
#[derive(Debug, Clone, Default)]
struct Fold {
    members: BTreeMap<DeviceId, Member>,
    invites: BTreeMap<InviteId, Invite>,
    /// The newest epoch any counted `Keys` operation opened.
    epoch: u32,
    /// Every counted envelope, with its epoch.
    envelopes: Vec<(u32, Envelope)>,
    /// Removals (and revocations) that no later rotation has dealt with yet.
    unrotated: bool,
    /// Every device that was ever a member: its person and role.
    former: BTreeMap<DeviceId, (PersonId, MemberRole)>,
}

/// A space's membership log and what it means.
#[derive(Debug, Clone)]
pub struct State {
    space: SpaceId,
    ops: HashMap<OpId, Op>,
    /// Every operation's ancestors (itself excluded).
    ancestors: HashMap<OpId, BTreeSet<OpId>>,
    /// Counted operations, in the order they were taken in (parents first).
    counted: Vec<OpId>,
    fold: Fold,
}

impl State {
    pub fn new(space: SpaceId) -> State {
        State {
            space,
            ops: HashMap::new(),
            ancestors: HashMap::new(),
            counted: Vec::new(),
            fold: Fold::default(),
        }
    }

    pub fn space(&self) -> SpaceId {
        self.space
    }

    /// Takes in `op`. Returns whether it was new; an operation that is not allowed is kept out
    /// (and reported), one whose parents are missing is reported so the caller can retry.
    ///
    /// # Errors
    /// Why the operation was not taken in.
    pub fn add(&mut self, op: Op) -> Result<bool, MembershipError> {
        if op.space != self.space {
            return Err(MembershipError::OtherSpace);
        }
        let id = op.id();
        if self.ops.contains_key(&id) {
            return Ok(false);
        }
        let missing: Vec<OpId> = op.parents.iter().filter(|p| !self.ops.contains_key(p)).copied().collect();
        if !missing.is_empty() {
            return Err(MembershipError::MissingParents(missing));
        }
        if !op.signature_verifies() {
            return Err(MembershipError::BadSignature);
        }
        if op.signer == Signer::Genesis && !self.ops.is_empty() {
            return Err(MembershipError::NotAllowed("a space has one genesis"));
        }
        let mut ancestors = BTreeSet::new();
        for p in &op.parents {
            ancestors.insert(*p);
            ancestors.extend(self.ancestors[p].iter().copied());
        }
        let past = self.fold_of(|o| ancestors.contains(o));
        allowed(&op, &past)?;
        self.ancestors.insert(id, ancestors);
        self.ops.insert(id, op);
        self.counted.push(id);
        self.fold = self.fold_of(|_| true);
        Ok(true)
    }

    /// Takes in every operation it can from `ops` (any order), in as many passes as parents
    /// need; returns the errors of those it could not.
    pub fn add_all(&mut self, ops: impl IntoIterator<Item = Op>) -> Vec<(OpId, MembershipError)> {
        let mut waiting: Vec<Op> = ops.into_iter().collect();
        loop {
            let mut progress = false;
            let mut still = Vec::new();
            let mut errors = Vec::new();
            for op in waiting {
                match self.add(op.clone()) {
                    Ok(_) => progress = true,
                    Err(MembershipError::MissingParents(_)) => still.push(op),
                    Err(e) => errors.push((op.id(), e)),
                }
            }
            if !progress || still.is_empty() {
                errors.extend(still.iter().map(|op| {
                    let missing = op.parents.iter().filter(|p| !self.ops.contains_key(p)).copied().collect();
                    (op.id(), MembershipError::MissingParents(missing))
                }));
                return errors;
            }
            waiting = still;
        }
    }

    /// The state of the counted operations `include` selects, folded in a deterministic order.
    fn fold_of(&self, include: impl Fn(&OpId) -> bool) -> Fold {
        let chosen: Vec<&OpId> = self.counted.iter().filter(|id| include(id)).collect();
        let descends =
            |later: &OpId, earlier: &OpId| self.ancestors.get(later).is_some_and(|a| a.contains(earlier));
        let mut fold = Fold::default();
        // Removals first known, so that adds can be judged against them.
        let mut removals: BTreeMap<DeviceId, Vec<OpId>> = BTreeMap::new();
        let mut revocations: BTreeMap<InviteId, Vec<OpId>> = BTreeMap::new();
        for id in &chosen {
            match self.ops[*id].action {
                Action::Remove { device } => removals.entry(device).or_default().push(**id),
                Action::RevokeInvite { invite } => revocations.entry(invite).or_default().push(**id),
                _ => {}
            }
        }
        // Joins beyond an invite's uses are left out, in a fixed order (parents first, then id).
        let mut order: Vec<&OpId> = chosen.clone();
        crate::sort::by_key(&mut order, |id| (self.ancestors[*id].len(), **id));
        let mut rotations: Vec<(u32, OpId)> = Vec::new();
        for id in &order {
            let op = &self.ops[*id];
            match &op.action {
                Action::Add { device, agreement, person, role, tag } => {
                    fold.former.insert(*device, (*person, *role));
                    let removed = removals.get(device).is_some_and(|rs| rs.iter().any(|r| !descends(id, r)));
                    if !removed {
                        let member = Member {
                            device: *device,
                            agreement: *agreement,
                            person: *person,
                            role: *role,
                            tag: *tag,
                            via: None,
                            since_ms: op.at_ms,
                        };
                        fold.members.insert(*device, member);
                    }
                }
                Action::Join { device, agreement, person } => {
                    let Signer::Invite(invite) = op.signer else { continue };
                    let Some(inv) = fold.invites.get_mut(&invite) else { continue };
                    // A revocation wins over every join it did not know of.
                    let revoked =
                        revocations.get(&invite).is_some_and(|rs| rs.iter().any(|r| !descends(r, id)));
                    if revoked || inv.joined.len() as u32 >= inv.uses {
                        continue;
                    }
                    inv.joined.push(*device);
                    fold.former.insert(*device, (*person, inv.role));
                    let removed = removals.get(device).is_some_and(|rs| rs.iter().any(|r| !descends(id, r)));
                    if !removed {
                        let member = Member {
                            device: *device,
                            agreement: *agreement,
                            person: *person,
                            role: inv.role,
                            tag: inv.tag,
                            via: Some(invite),
                            since_ms: op.at_ms,
                        };
                        fold.members.insert(*device, member);
                    }
                }
                Action::Remove { device } => {
                    fold.members.remove(device);
                }
                Action::Invite { invite, agreement, role, tag, expires_ms, uses, person } => {
                    let by = match op.signer {
                        Signer::Device(d) => d,
                        _ => continue,
                    };
                    fold.invites.entry(*invite).or_insert(Invite {
                        id: *invite,
                        agreement: *agreement,
                        role: *role,
                        tag: *tag,
                        expires_ms: *expires_ms,
                        uses: *uses,
                        person: *person,
                        by,
                        made_ms: op.at_ms,
                        revoked: false,
                        joined: Vec::new(),
                    });
                }
                Action::RevokeInvite { invite } => {
                    if let Some(inv) = fold.invites.get_mut(invite) {
                        inv.revoked = true;
                    }
                }
                Action::Keys { epoch, envelopes } => {
                    if *epoch > fold.epoch {
                        fold.epoch = *epoch;
                    }
                    rotations.push((*epoch, **id));
                    fold.envelopes.extend(envelopes.iter().map(|e| (*epoch, e.clone())));
                }
            }
        }
        // A removal or a revocation wants a rotation that descends from it.
        fold.unrotated = chosen.iter().any(|id| {
            let wants = matches!(self.ops[*id].action, Action::Remove { .. } | Action::RevokeInvite { .. });
            let epoch_before = self.fold_epoch_before(id);
            wants && !rotations.iter().any(|(e, r)| *e > epoch_before && descends(r, id))
        });
        fold
    }

    /// The newest epoch among the counted `Keys` operations `id` descends from.
    fn fold_epoch_before(&self, id: &OpId) -> u32 {
        self.ancestors[id]
            .iter()
            .filter_map(|a| match &self.ops[a].action {
                Action::Keys { epoch, .. } => Some(*epoch),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The member `device`, if it is one now.
    pub fn member(&self, device: DeviceId) -> Option<&Member> {
        self.fold.members.get(&device)
    }

    /// Every member device now.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.fold.members.values()
    }

    /// Whether a blob `author` sealed under `epoch` counts: only while the author may write.
    /// Once a device is removed, nothing it signs counts any more, whatever key it used (it
    /// still holds the old ones, so a blob under an old epoch proves nothing about when it was
    /// written). What it wrote before reached the others already, and the rotation that
    /// follows its removal uploads every document again under the new key, so devices that
    /// read the space later get those words from the remaining members.
    pub fn accepts(&self, author: DeviceId, epoch: u32) -> bool {
        epoch <= self.epoch() && self.may_write(author)
    }

    /// Whether the counted operation `op` opened a new epoch (a rotation), rather than passing
    /// keys already in use to someone.
    pub fn is_rotation(&self, op: &Op) -> bool {
        let id = op.id();
        match op.action {
            Action::Keys { epoch, .. } => {
                self.ancestors.contains_key(&id) && self.fold_epoch_before(&id) < epoch
            }
            _ => false,
        }
    }

    /// The person `device` belongs (or belonged) to, if it was ever a member.
    pub fn person_of(&self, device: DeviceId) -> Option<PersonId> {
        self.fold.former.get(&device).map(|(person, _)| *person)
    }

    /// Whether `person` had devices here once and has none now: they left or were removed.
    pub fn gone(&self, person: PersonId) -> bool {
        self.fold.former.values().any(|(p, _)| *p == person) && self.devices_of(person).is_empty()
    }

    /// The people who are members now, each with their devices.
    pub fn people(&self) -> BTreeMap<PersonId, Vec<&Member>> {
        let mut people: BTreeMap<PersonId, Vec<&Member>> = BTreeMap::new();
        for m in self.fold.members.values() {
            people.entry(m.person).or_default().push(m);
        }
        people
    }

    pub fn invite(&self, id: InviteId) -> Option<&Invite> {
        self.fold.invites.get(&id)
    }

    /// Whether `device` may write now.
    pub fn may_write(&self, device: DeviceId) -> bool {
        self.member(device).is_some_and(|m| m.role >= MemberRole::Writer)
    }

    pub fn invites(&self) -> impl Iterator<Item = &Invite> {
        self.fold.invites.values()
    }

    /// The newest epoch: what content is sealed under now.
    pub fn epoch(&self) -> u32 {
        self.fold.epoch
    }

    /// Whether a removal or a revocation still waits for a rotation.
    pub fn needs_rotation(&self) -> bool {
        self.fold.unrotated
    }

    /// Who a rotation must seal the new key to: every member device, and every invite that may
    /// still admit someone.
    pub fn recipients(&self) -> Vec<(Recipient, AgreementPub)> {
        let mut all: Vec<(Recipient, AgreementPub)> =
            self.fold.members.values().map(|m| (Recipient::Device(m.device), m.agreement)).collect();
        all.extend(
            self.fold
                .invites
                .values()
                .filter(|i| !i.revoked && (i.joined.len() as u32) < i.uses)
                .map(|i| (Recipient::Invite(i.id), i.agreement)),
        );
        all
    }

    /// Every epoch key sealed to `recipient` that `key` opens, by epoch (an epoch two devices
    /// rotated to at once has two).
    pub fn keys_for(&self, recipient: Recipient, key: &AgreementKey) -> Vec<(u32, EpochKey)> {
        self.fold
            .envelopes
            .iter()
            .filter(|(_, e)| e.to == recipient)
            .filter_map(|(epoch, e)| Some((*epoch, open_envelope(key, self.space, *epoch, e)?)))
            .collect()
    }

    /// The operations no other operation builds on: the parents of the next one.
    pub fn heads(&self) -> Vec<OpId> {
        let mut referenced = BTreeSet::new();
        for op in self.ops.values() {
            referenced.extend(op.parents.iter().copied());
        }
        let mut heads: Vec<OpId> = self.ops.keys().filter(|id| !referenced.contains(id)).copied().collect();
        crate::sort::ord(&mut heads);
        heads
    }

    /// Every counted operation, parents first: what a new reader needs, in an order it can take.
    pub fn ops(&self) -> Vec<&Op> {
        self.counted.iter().map(|id| &self.ops[id]).collect()
    }

    pub fn contains(&self, id: &OpId) -> bool {
        self.ops.contains_key(id)
    }
}

/// Whether `op`'s signer had the right to make it, in `past` (the state of its causal past).
fn allowed(op: &Op, past: &Fold) -> Result<(), MembershipError> {
    use MembershipError::NotAllowed;
    match (op.signer, &op.action) {
        (Signer::Genesis, Action::Add { role: MemberRole::Admin, .. }) if op.parents.is_empty() => Ok(()),
        (Signer::Genesis, _) => Err(NotAllowed("the space's own key only signs its genesis")),
        (Signer::Invite(invite), Action::Join { device, person, .. }) => {
            let inv = past.invites.get(&invite).ok_or(NotAllowed("no such invite"))?;
            if inv.revoked {
                return Err(NotAllowed("the invite was revoked"));
            }
            if op.at_ms > inv.expires_ms {
                return Err(NotAllowed("the invite has expired"));
            }
            if inv.joined.len() as u32 >= inv.uses {
                return Err(NotAllowed("the invite has been used up"));
            }
            if past.members.contains_key(device) {
                return Err(NotAllowed("the device is already a member"));
            }
            if let Some(linked) = inv.person {
                // Linking another device of a person: it joins as them.
                return (linked == *person)
                    .then_some(())
                    .ok_or(NotAllowed("this invite links another person's device"));
            }
            if past.members.values().any(|m| m.person == *person) {
                return Err(NotAllowed(
                    "an invite cannot admit someone already here; their devices add each other",
                ));
            }
            Ok(())
        }
        (Signer::Invite(_), _) => Err(NotAllowed("an invite key only signs joins")),
        (Signer::Device(signer), action) => {
            let me = past.members.get(&signer).ok_or(NotAllowed("the signer is not a member"))?;
            let admin = me.role == MemberRole::Admin;
            match action {
                Action::Add { person, role, tag, .. } => {
                    let own = *person == me.person && *role <= me.role && *tag == me.tag;
                    (admin || own).then_some(()).ok_or(NotAllowed("only admins add others"))
                }
                Action::Remove { device } => {
                    let own =
                        *device == signer || past.members.get(device).is_some_and(|m| m.person == me.person);
                    (admin || own).then_some(()).ok_or(NotAllowed("only admins remove others"))
                }
                Action::Invite { person: Some(person), role, tag, .. } => {
                    let own = *person == me.person && *role <= me.role && *tag == me.tag;
                    own.then_some(()).ok_or(NotAllowed("only a person's own devices link another of theirs"))
                }
                Action::Invite { .. } => admin.then_some(()).ok_or(NotAllowed("only admins invite")),
                Action::RevokeInvite { invite } => {
                    let mine = past.invites.get(invite).is_some_and(|i| i.by == signer);
                    (admin || mine).then_some(()).ok_or(NotAllowed("only admins revoke others' invites"))
                }
                Action::Join { .. } => Err(NotAllowed("joins are signed by an invite")),
                Action::Keys { epoch, envelopes } => {
                    if me.role < MemberRole::Writer {
                        // A reader passes the keys it holds to its own person's other devices.
                        let own = *epoch <= past.epoch
                            && envelopes.iter().all(|e| match e.to {
                                Recipient::Device(d) => {
                                    past.members.get(&d).is_some_and(|m| m.person == me.person)
                                }
                                Recipient::Invite(_) => false,
                            });
                        return own
                            .then_some(())
                            .ok_or(NotAllowed("readers only pass keys to their own devices"));
                    }
                    let known: BTreeSet<Recipient> = past
                        .members
                        .values()
                        .map(|m| Recipient::Device(m.device))
                        .chain(past.invites.values().filter(|i| !i.revoked).map(|i| Recipient::Invite(i.id)))
                        .collect();
                    let to: BTreeSet<Recipient> = envelopes.iter().map(|e| e.to).collect();
                    if !to.is_subset(&known) {
                        return Err(NotAllowed("keys go only to members and open invites"));
                    }
                    if *epoch > past.epoch {
                        // A rotation reaches every member, so nobody still in is locked out.
                        let members: BTreeSet<Recipient> =
                            past.members.values().map(|m| Recipient::Device(m.device)).collect();
                        if !members.is_subset(&to) {
                            return Err(NotAllowed("a rotation must seal the new key to every member"));
                        }
                    }
                    Ok(())
                }
            }
        }
    }
}

impl State {
    /// A rotation by `device`: a fresh key for the next epoch, sealed to every member and open
    /// invite. Returns the operation and the new key (the caller keeps it).
    pub fn rotate(&self, device: &crate::crypto::DeviceKey, now_ms: i64) -> (Op, EpochKey) {
        let key = EpochKey::generate();
        let epoch = self.epoch() + 1;
        let envelopes = self
            .recipients()
            .into_iter()
            .filter_map(|(to, public)| key.seal_for(to, public, self.space, epoch))
            .collect();
        let action = Action::Keys { epoch, envelopes };
        (Op::by_device(self.space, self.heads(), now_ms, action, device), key)
    }

    /// Shares the epoch keys `keys` (all this device holds) with `to`, who joined after them:
    /// one operation per epoch.
    pub fn share(
        &self,
        device: &crate::crypto::DeviceKey,
        keys: &[(u32, EpochKey)],
        to: &[(Recipient, AgreementPub)],
        now_ms: i64,
    ) -> Vec<Op> {
        let mut parents = self.heads();
        let mut ops = Vec::new();
        for (epoch, key) in keys {
            let envelopes: Vec<Envelope> =
                to.iter().filter_map(|(r, public)| key.seal_for(*r, *public, self.space, *epoch)).collect();
            if envelopes.is_empty() {
                continue;
            }
            let op =
                Op::by_device(self.space, parents, now_ms, Action::Keys { epoch: *epoch, envelopes }, device);
            parents = vec![op.id()];
            ops.push(op);
        }
        ops
    }

    /// The devices of `person` that are members now.
    pub fn devices_of(&self, person: PersonId) -> Vec<DeviceId> {
        self.fold.members.values().filter(|m| m.person == person).map(|m| m.device).collect()
    }
}
