//! What this device does with governed spaces' membership: taking in operations, the upkeep
//! each change calls for (the person's own devices kept in step everywhere, a removal followed
//! by a rotation, someone who left the cohort leaving its home groups), and the changes people
//! ask for (invites, removals, leaving, devices). Synchronous and pure: the account changes in
//! one step, and the operations it returns are sent by the sync engine.

use amplify::{
    DeviceId, PersonId, SpaceId,
    members::{Action, InviteId, InviteKey, MemberRole, Op, Recipient},
};

use super::{Account, SpaceKind};

/// What taking in operations changed for this device.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Taken {
    /// The log grew.
    pub changed: bool,
    /// Keys this device did not hold before.
    pub new_keys: usize,
    /// This device is no longer a member (removed, or its person left).
    pub removed: bool,
}

/// An invite just opened: the operations to send, and the key its link carries.
#[derive(Debug)]
pub struct Opened {
    pub ops: Vec<Op>,
    pub key: InviteKey,
    /// The operation that opened it (a join builds on it).
    pub opened: amplify::members::OpId,
}

impl Account {
    /// Takes in operations for `space` (from the relay, or made here).
    pub fn take_ops(&mut self, space: SpaceId, ops: Vec<Op>) -> Taken {
        let (device, agreement) = (self.device.id(), self.agreement.clone());
        let Some(joined) = self.space_mut(space) else { return Taken::default() };
        let was_member = joined.governed().is_some_and(|g| g.state().member(device).is_some());
        let Some(g) = joined.governed_mut() else { return Taken::default() };
        let (changed, errors) = g.take(ops);
        if !errors.is_empty() {
            crate::platform::warn(&format!("membership operations that do not count: {}", errors.join("; ")));
        }
        let new_keys = g.collect_keys(Recipient::Device(device), &agreement);
        let member = g.state().member(device).is_some();
        let removed = was_member && !member && !joined.removed;
        if removed {
            joined.removed = true;
        }
        Taken { changed, new_keys, removed }
    }

    /// Takes in operations this device made, which it may make (so they always count).
    fn made(&mut self, space: SpaceId, ops: Vec<Op>) -> Vec<Op> {
        if !ops.is_empty() {
            self.take_ops(space, ops.clone());
        }
        ops
    }

    /// The upkeep a change in `space`'s membership calls for, as operations made here.
    pub fn tend(&mut self, space: SpaceId, now_ms: i64) -> Vec<Op> {
        let mut ops = Vec::new();
        let personal = self.personal().id();
        if space == personal {
            // A device of the person came or went: every other space follows.
            let others: Vec<SpaceId> = self
                .spaces
                .iter()
                .filter(|s| s.governed().is_some() && s.id() != personal)
                .map(|s| s.id())
                .collect();
            for other in others {
                ops.extend(self.tend_own_devices(other, now_ms));
                ops.extend(self.rotate_if_due(other, now_ms));
            }
        } else {
            ops.extend(self.tend_own_devices(space, now_ms));
            ops.extend(self.follow_the_cohort(space, now_ms));
        }
        if self.space(space).is_some_and(|s| s.kind == SpaceKind::Cohort) {
            // Someone left the cohort: their home groups follow.
            let groups: Vec<SpaceId> = self.of_kind(SpaceKind::HomeGroup).map(|s| s.id()).collect();
            for group in groups {
                ops.extend(self.follow_the_cohort(group, now_ms));
                ops.extend(self.rotate_if_due(group, now_ms));
            }
        }
        ops.extend(self.rotate_if_due(space, now_ms));
        ops
    }

    /// Adds the person's devices that are missing from `space` (with this device's role, and
    /// its keys), and removes those no longer in the person's own space.
    fn tend_own_devices(&mut self, space: SpaceId, now_ms: i64) -> Vec<Op> {
        let me = self.device.id();
        let Some(own) = self.personal().governed().map(|g| g.state().clone()) else { return Vec::new() };
        let person = own.space();
        let Some(joined) = self.space(space).filter(|s| !s.removed) else { return Vec::new() };
        let Some(g) = joined.governed() else { return Vec::new() };
        let state = g.state();
        let Some(mine) = state.member(me).cloned() else { return Vec::new() };
        let mut state = state.clone();
        let mut ops = Vec::new();
        let mut added = Vec::new();
        for device in own.members() {
            // Never added here before: a device removed from this space stays out.
            if state.person_of(device.device).is_some() {
                continue;
            }
            let add = Action::Add {
                device: device.device,
                agreement: device.agreement,
                person,
                role: mine.role,
                tag: mine.tag,
            };
            let op = Op::by_device(space, state.heads(), now_ms, add, &self.device);
            if state.add(op.clone()).is_ok() {
                ops.push(op);
                added.push((Recipient::Device(device.device), device.agreement));
            }
        }
        if !added.is_empty() {
            for op in state.share(&self.device, &g.keys(), &added, now_ms) {
                if state.add(op.clone()).is_ok() {
                    ops.push(op);
                }
            }
        }
        let gone: Vec<DeviceId> = state
            .devices_of(person)
            .into_iter()
            .filter(|d| own.member(*d).is_none() && own.person_of(*d) == Some(person))
            .collect();
        for device in gone {
            let op = Op::by_device(space, state.heads(), now_ms, Action::Remove { device }, &self.device);
            if state.add(op.clone()).is_ok() {
                ops.push(op);
            }
        }
        self.made(space, ops)
    }

    /// In a home group of a cohort: whoever left the cohort (or was removed from it) leaves the
    /// group too, done by any of the group's admins.
    fn follow_the_cohort(&mut self, space: SpaceId, now_ms: i64) -> Vec<Op> {
        let Some(joined) = self.space(space).filter(|s| s.kind == SpaceKind::HomeGroup && s.can_manage())
        else {
            return Vec::new();
        };
        let Some(cohort) = self.cohort().and_then(|c| c.governed()).map(|g| g.state().clone()) else {
            return Vec::new();
        };
        let Some(g) = joined.governed() else { return Vec::new() };
        let gone: Vec<PersonId> = g.state().people().into_keys().filter(|p| cohort.gone(*p)).collect();
        let mut ops = Vec::new();
        for person in gone {
            ops.extend(self.remove_person(space, person, now_ms));
        }
        ops
    }

    /// A rotation, if a removal or a revoked invite waits for one and this device may make it
    /// (an admin: whoever manages the space also re-files its documents under the new key).
    fn rotate_if_due(&mut self, space: SpaceId, now_ms: i64) -> Vec<Op> {
        let Some(joined) = self.space(space).filter(|s| s.can_manage()) else { return Vec::new() };
        let Some(g) = joined.governed().filter(|g| g.state().needs_rotation()) else { return Vec::new() };
        let (op, key) = g.state().rotate(&self.device, now_ms);
        let epoch = g.state().epoch() + 1;
        let ops = self.made(space, vec![op]);
        if let Some(g) = self.space_mut(space).and_then(|s| s.governed_mut()) {
            g.keep_key(epoch, key);
        }
        ops
    }

    /// Removes every device of `person` from `space`, and rotates its key so they read nothing
    /// written afterwards.
    pub fn remove_person(&mut self, space: SpaceId, person: PersonId, now_ms: i64) -> Vec<Op> {
        let Some(g) = self.space(space).and_then(|s| s.governed()) else { return Vec::new() };
        let mut state = g.state().clone();
        let mut ops = Vec::new();
        for device in state.devices_of(person) {
            let op = Op::by_device(space, state.heads(), now_ms, Action::Remove { device }, &self.device);
            if state.add(op.clone()).is_ok() {
                ops.push(op);
            }
        }
        let mut ops = self.made(space, ops);
        ops.extend(self.rotate_if_due(space, now_ms));
        ops
    }

    /// Leaves `space`: every device of this person is removed from it (the others rotate).
    /// What this device holds of it stays, read-only.
    pub fn leave(&mut self, space: SpaceId, now_ms: i64) -> Vec<Op> {
        let person = self.personal().id();
        let Some(g) = self.space(space).and_then(|s| s.governed()) else { return Vec::new() };
        let mut state = g.state().clone();
        let me = self.device.id();
        let mut ops = Vec::new();
        // This device last: once it is out, it may sign nothing more here.
        let mut devices = state.devices_of(person);
        amplify::sort::by_key(&mut devices, |d| *d == me);
        for device in devices {
            let op = Op::by_device(space, state.heads(), now_ms, Action::Remove { device }, &self.device);
            if state.add(op.clone()).is_ok() {
                ops.push(op);
            }
        }
        self.made(space, ops)
    }

    /// Removes one of this person's devices (a lost phone) from their own space; the upkeep
    /// then removes it everywhere else, and every space rotates.
    pub fn remove_device(&mut self, device: DeviceId, now_ms: i64) -> Vec<Op> {
        let personal = self.personal().id();
        let Some(g) = self.personal().governed() else { return Vec::new() };
        let op = Op::by_device(personal, g.state().heads(), now_ms, Action::Remove { device }, &self.device);
        let mut ops = self.made(personal, vec![op]);
        ops.extend(self.rotate_if_due(personal, now_ms));
        ops
    }

    /// Adds a device of this person (a new recovery key) to their own space; the upkeep adds it
    /// everywhere else.
    pub fn add_own_device(
        &mut self,
        device: DeviceId,
        agreement: amplify::members::AgreementPub,
        now_ms: i64,
    ) -> Vec<Op> {
        let personal = self.personal().id();
        let Some(g) = self.personal().governed() else { return Vec::new() };
        let add = Action::Add { device, agreement, person: personal, role: MemberRole::Admin, tag: 0 };
        let mut state = g.state().clone();
        let mut ops = vec![Op::by_device(personal, state.heads(), now_ms, add, &self.device)];
        if state.add(ops[0].clone()).is_err() {
            return Vec::new();
        }
        ops.extend(state.share(&self.device, &g.keys(), &[(Recipient::Device(device), agreement)], now_ms));
        let mut ops = self.made(personal, ops);
        ops.extend(self.tend(personal, now_ms));
        ops
    }

    /// Opens an invite to `space`: `role` and `tag` for whoever joins, until `expires_ms`, for
    /// `uses` devices; `person` for a link to another device of this person. The space's keys
    /// are sealed to the invite, so whoever opens the link can read it once they join.
    pub fn open_invite(
        &mut self,
        space: SpaceId,
        (role, tag): (MemberRole, u8),
        expires_ms: i64,
        uses: u32,
        person: Option<PersonId>,
        now_ms: i64,
    ) -> Option<Opened> {
        let g = self.space(space)?.governed()?;
        let key = InviteKey::generate();
        let action = Action::invite(&key, (role, tag), expires_ms, uses, person);
        let mut state = g.state().clone();
        let open = Op::by_device(space, state.heads(), now_ms, action, &self.device);
        state.add(open.clone()).ok()?;
        let mut ops = vec![open.clone()];
        let to = [(Recipient::Invite(key.id()), key.agreement().public())];
        for op in state.share(&self.device, &g.keys(), &to, now_ms) {
            if state.add(op.clone()).is_ok() {
                ops.push(op);
            }
        }
        let ops = self.made(space, ops);
        Some(Opened { ops, key, opened: open.id() })
    }

    /// Revokes an invite that has not run out: nobody joins with it any more, and the space's
    /// key is replaced (its holder could read the old one).
    pub fn revoke_invite(&mut self, space: SpaceId, invite: InviteId, now_ms: i64) -> Vec<Op> {
        let Some(g) = self.space(space).and_then(|s| s.governed()) else { return Vec::new() };
        let op =
            Op::by_device(space, g.state().heads(), now_ms, Action::RevokeInvite { invite }, &self.device);
        let mut ops = self.made(space, vec![op]);
        ops.extend(self.rotate_if_due(space, now_ms));
        ops
    }
}
