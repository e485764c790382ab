//! Governed spaces at the relay: their membership logs, checked with the same code every peer
//! runs (`amplify::members`), decide who is admitted, who may write, and under which epoch.

use std::{collections::HashMap, sync::Arc};

use amplify::{
    DeviceId, RelayFrame, SpaceId,
    members::{Action, MembershipError, Op, Signer, State},
};

use super::{Event, EventKind, Hub};
use crate::store::StoreError;

/// Governed spaces' states, as far as loaded (`None`: a space with no membership log).
#[derive(Debug, Default)]
pub(super) struct Governed {
    states: std::sync::Mutex<HashMap<SpaceId, Option<Arc<State>>>>,
    /// Membership changes are made one at a time: they are rare, and each must see the last.
    writing: tokio::sync::Mutex<()>,
}

/// The most spaces whose membership is kept in memory; past it the cache starts again (it is
/// read back from the store as needed).
const CACHED: usize = 100_000;

/// Why membership operations were refused.
#[derive(Debug)]
pub(super) enum Refusal {
    NotAllowed(String),
    Store(StoreError),
}

impl Hub {
    /// The membership of `space`, if it is governed.
    pub(super) async fn membership(&self, space: SpaceId) -> Option<Arc<State>> {
        let cached = self
            .governed
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&space)
            .cloned();
        if let Some(known) = cached {
            return known;
        }
        let stored = self.blocking(move |s| s.membership(space)).await.ok()?;
        let state = if stored.is_empty() {
            None
        } else {
            let ops: Vec<Op> = stored.iter().filter_map(|bytes| Op::decode(bytes).ok()).collect();
            let loaded = self
                .verify(move || {
                    let mut state = State::new(space);
                    let errors = state.add_all(ops);
                    (state, errors.len())
                })
                .await;
            match loaded {
                Some((state, 0)) => Some(Arc::new(state)),
                Some((state, errors)) => {
                    tracing::warn!(?space, errors, "stored membership operations that no longer count");
                    Some(Arc::new(state))
                }
                None => return None,
            }
        };
        self.remember(space, state.clone());
        state
    }

    /// Drops what is cached about `space` (another instance changed it).
    pub(super) fn forget(&self, space: SpaceId) {
        self.governed.states.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&space);
    }

    pub(super) fn forget_all(&self) {
        self.governed.states.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    fn remember(&self, space: SpaceId, state: Option<Arc<State>>) {
        let mut states = self.governed.states.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if states.len() >= CACHED {
            states.clear();
        }
        states.insert(space, state);
    }

    /// Whether `device` is a member of the governed space `space` now.
    pub(super) async fn is_member(&self, space: SpaceId, device: DeviceId) -> bool {
        self.membership(space).await.is_some_and(|s| s.member(device).is_some())
    }

    /// Takes in membership operations for `space`: checks them against its log, stores the new
    /// ones, and tells every session following the space. Returns the state after them.
    pub(super) async fn add_membership(&self, space: SpaceId, ops: Vec<Op>) -> Result<Arc<State>, Refusal> {
        let _turn = self.governed.writing.lock().await;
        if self.shared.load(std::sync::atomic::Ordering::Relaxed) {
            // Another instance may have added operations since this one cached the log.
            self.forget(space);
        }
        let current = self.membership(space).await;
        let base = current.map_or_else(|| State::new(space), |s| (*s).clone());
        // A join signs its own time; the relay holds it to the relay's clock too.
        let now = crate::store::now_ms();
        // Joins are taken first come, first served: one that arrives once its invite is used
        // up or revoked is refused (the log would leave it out anyway, or, worse, leave out an
        // earlier one in its favour).
        for op in &ops {
            let (Signer::Invite(invite), Action::Join { .. }) = (op.signer, &op.action) else { continue };
            let Some(invite) = base.invite(invite) else { continue };
            if base.contains(&op.id()) {
                continue;
            }
            let why = if invite.revoked {
                "the invite was revoked"
            } else if invite.joined.len() as u32 >= invite.uses {
                "the invite has been used up"
            } else if now > invite.expires_ms {
                "the invite has expired"
            } else {
                continue;
            };
            return Err(Refusal::NotAllowed(why.to_owned()));
        }
        let ops_in = ops.clone();
        let checked = self
            .verify(move || {
                let mut next = base;
                let before: Vec<_> = next.ops().iter().map(|o| o.id()).collect();
                let errors = next.add_all(ops);
                (next, before, errors)
            })
            .await;
        let Some((next, before, errors)) = checked else {
            return Err(Refusal::NotAllowed("the relay could not check the operations".to_owned()));
        };
        if let Some((_, error)) = errors.into_iter().next() {
            return Err(Refusal::NotAllowed(match error {
                MembershipError::NotAllowed(why) => why.to_owned(),
                other => other.to_string(),
            }));
        }
        // A join the log leaves out (its invite used up, or revoked meanwhile) admits nobody:
        // refused, so the joiner hears why.
        for op in ops_in.iter().filter(|op| !before.contains(&op.id())) {
            if let Action::Join { device, .. } = op.action
                && next.member(device).is_none()
            {
                let revoked = match op.signer {
                    Signer::Invite(invite) => next.invite(invite).is_some_and(|i| i.revoked),
                    _ => false,
                };
                let why = if revoked { "the invite was revoked" } else { "the invite has been used up" };
                return Err(Refusal::NotAllowed(why.to_owned()));
            }
        }
        let new: Vec<Op> = next.ops().into_iter().filter(|op| !before.contains(&op.id())).cloned().collect();
        if new.is_empty() {
            return Ok(Arc::new(next));
        }
        let encoded: Vec<([u8; 32], Vec<u8>)> = new.iter().map(|op| (op.id().0, op.encode())).collect();
        let members: Vec<DeviceId> = next.members().map(|m| m.device).collect();
        self.blocking(move |s| s.add_membership(space, &encoded, &members)).await.map_err(Refusal::Store)?;
        let next = Arc::new(next);
        self.remember(space, Some(next.clone()));
        let frame = Arc::new(RelayFrame::Members { space, ops: new }.encode());
        self.publish(&Event {
            space,
            doc: amplify::DocRef([0; 16]),
            seq: 0,
            frame,
            kind: EventKind::Members,
        });
        Ok(next)
    }

    /// Erases `space` from the store, and tells every session following it.
    pub(super) async fn erase(&self, space: SpaceId) -> Result<(), StoreError> {
        self.blocking(move |s| s.erase(space)).await?;
        self.untidy();
        self.remember(space, None);
        let frame = Arc::new(RelayFrame::Removed { space }.encode());
        self.publish(&Event { space, doc: amplify::DocRef([0; 16]), seq: 0, frame, kind: EventKind::Erased });
        Ok(())
    }
}
