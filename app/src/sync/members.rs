//! Governed spaces on the connection: their membership logs in and out, the upkeep a change
//! calls for (see `account::tend`), blobs sealed again when the space's key changed, and a
//! removal taken in.

use std::collections::{BTreeMap, HashSet};

use amplify::{ClientFrame, Reject, SpaceId, decode_sealed, encode_sealed, members::Op};
use leptos::prelude::*;

use super::engine::Engine;
use crate::{
    account::{Account, Joined},
    platform::{self, warn},
    storage::Outgoing,
};

/// Membership frames are numbered from here, apart from the outbox's keys.
pub(super) const MEMBERS_REQUEST: u32 = 0x8000_0000;

impl Engine {
    /// Follows `space` on a new connection. A governed space the relay has not admitted this
    /// device to (created or joined here, and not yet on the relay) gets its log first.
    pub(super) fn follow(&self, account: &Account, space: &Joined, admitted: &[SpaceId]) {
        if space.removed {
            return;
        }
        if !admitted.contains(&space.id()) {
            if let Some(g) = space.governed() {
                if let Some(key) = &account.registration {
                    self.send(&ClientFrame::Register { registration: key.register(space.id()) });
                }
                self.send_ops(vec![(space.id(), g.state().ops().into_iter().cloned().collect())]);
            }
            // Joined while the connection was proving itself: the Auth frame did not carry
            // this certificate yet.
            self.send(&ClientFrame::Admit { cert: space.cert });
        }
        let cursors = self.cursors.borrow().of_space(space.id());
        self.send(&ClientFrame::Subscribe { space: space.id(), cursors });
    }

    /// Sends membership operations, one frame per space.
    pub(super) fn send_ops(&self, by_space: Vec<(SpaceId, Vec<Op>)>) {
        for (space, ops) in by_space {
            if ops.is_empty() {
                continue;
            }
            let n = self.members_sent.get().wrapping_add(1);
            self.members_sent.set(n);
            let request = MEMBERS_REQUEST | (n & 0x7fff_ffff);
            self.members_requests.borrow_mut().insert(request, space);
            self.send(&ClientFrame::Members { request, space, ops });
        }
    }

    /// Operations made here, sent if connected (otherwise the next connection sends what the
    /// relay lacks). A rotation among them is followed by every document of its space again,
    /// under the new key.
    pub(super) async fn publish(&self, ops: Vec<Op>) {
        let mut by_space: BTreeMap<SpaceId, Vec<Op>> = BTreeMap::new();
        for op in ops {
            by_space.entry(op.space).or_default().push(op);
        }
        let rotated: Vec<SpaceId> = by_space
            .iter()
            .filter(|(_, ops)| ops.iter().any(|op| self.is_rotation(op)))
            .map(|(space, _)| *space)
            .collect();
        if self.socket.borrow().is_some() {
            self.send_ops(by_space.into_iter().collect());
        }
        for space in rotated {
            self.snapshot_all(space).await;
        }
    }

    /// Whether `op` opened a new epoch of its space (not keys passed to a newcomer).
    fn is_rotation(&self, op: &Op) -> bool {
        self.account()
            .and_then(|a| a.space(op.space).and_then(|s| s.governed()).map(|g| g.state().is_rotation(op)))
            == Some(true)
    }

    /// A membership frame: the whole log when a subscription starts, new operations after.
    pub(super) async fn members(&self, space: SpaceId, ops: Vec<Op>) {
        let whole = self.logged.borrow_mut().insert(space);
        let theirs: HashSet<_> = if whole { ops.iter().map(Op::id).collect() } else { HashSet::new() };
        let now = platform::now().utc_ms;
        let outcome = self
            .repo
            .update_account(|a| {
                let taken = a.take_ops(space, ops);
                // What this device made that the relay lacks (made offline, or not acknowledged).
                let missing: Vec<Op> = match a.space(space).and_then(|s| s.governed()) {
                    Some(g) if whole => {
                        g.state().ops().into_iter().filter(|o| !theirs.contains(&o.id())).cloned().collect()
                    }
                    _ => Vec::new(),
                };
                let made = if taken.removed { Vec::new() } else { a.tend(space, now) };
                (taken, missing, made)
            })
            .await;
        let (taken, missing, made) = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                warn(&format!("could not keep a space's membership: {e}"));
                return;
            }
        };
        self.send_ops(vec![(space, missing)]);
        let tended: HashSet<SpaceId> = made.iter().map(|op| op.space).collect();
        self.publish(made).await;
        if taken.removed {
            self.removed(space).await;
            return;
        }
        for space in tended.into_iter().chain([space]) {
            self.reseal(space).await;
        }
    }

    /// After a space's catch-up: the upkeep its log may call for (a rotation still due).
    pub(super) async fn tend(&self, space: SpaceId) {
        let governed =
            self.account().and_then(|a| a.space(space).map(|s| s.governed().is_some())) == Some(true);
        if !governed {
            return;
        }
        let now = platform::now().utc_ms;
        match self.repo.update_account(|a| a.tend(space, now)).await {
            Ok(made) if !made.is_empty() => {
                let spaces: HashSet<SpaceId> = made.iter().map(|op| op.space).collect();
                self.publish(made).await;
                for space in spaces {
                    self.reseal(space).await;
                }
            }
            Ok(_) => {}
            Err(e) => warn(&format!("could not keep a space's membership: {e}")),
        }
    }

    /// This device is no longer a member of `space`: what it holds stays, read-only; what
    /// waits to be sent there never will be.
    pub(super) async fn removed(&self, space: SpaceId) {
        let name = match self
            .repo
            .update_account(|a| {
                a.space_mut(space).map(|s| {
                    s.removed = true;
                    s.name.clone()
                })
            })
            .await
        {
            Ok(Some(name)) => name,
            Ok(None) => return,
            Err(e) => {
                warn(&format!("could not note that this device was removed from a space: {e}"));
                return;
            }
        };
        if let Err(e) = self.storage.dequeue_space(&space.to_string()).await {
            warn(&format!("could not drop what waited for a space this device was removed from: {e}"));
        }
        self.count_waiting().await;
        self.check_caught_up();
        self.sync.news.update(|news| {
            news.push(format!("You were removed from {name}. What you wrote stays on this device."));
        });
    }

    /// Seals again, under the newest key, whatever waits in the outbox for `space` under an
    /// older one, and sends it.
    pub(super) async fn reseal(&self, space: SpaceId) {
        let Ok(items) = self.storage.outbox().await else { return };
        let Some(account) = self.account() else { return };
        let mut resealed = false;
        for (key, outgoing) in items.into_iter().filter(|(_, o)| o.space == space.to_string()) {
            let Ok(blob) = decode_sealed(&outgoing.bytes) else { continue };
            let Some(fresh) = account.reseal(&blob) else { continue };
            let fresh = Outgoing { bytes: encode_sealed(&fresh), ..outgoing };
            match self.storage.requeue(key, &fresh).await {
                Ok(()) => {
                    self.in_flight.borrow_mut().remove(&key);
                    resealed = true;
                }
                Err(e) => warn(&format!("could not seal a waiting change again: {e}")),
            }
        }
        if resealed {
            self.send_outbox().await;
        }
    }

    /// The relay's answer to a membership frame.
    pub(super) fn members_answered(&self, request: u32, refused: Option<(Reject, &str)>) {
        let space = self.members_requests.borrow_mut().remove(&request);
        match (refused, space) {
            (None, _) => {}
            (Some((Reject::NotRegistered, _)), Some(space)) => {
                self.unregistered.borrow_mut().insert(space);
                self.register_spaces();
            }
            (Some((code, message)), _) => {
                warn(&format!("the relay refused membership operations: {code:?}: {message}"));
            }
        }
    }
}
