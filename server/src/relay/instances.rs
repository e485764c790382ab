//! Several relay instances sharing one store: what another instance did reaches this one's
//! sessions as if it had happened here. The store carries only (space, document, sequence)
//! (see [`Store::changes`]); each instance reads the blob once and hands its frame to its
//! followers, which keep their usual per-document order (a gap is filled from the store).

use std::sync::{Arc, Weak};

use amplify::{DocRef, RelayFrame, SpaceId, blob_frame, members::Op};

use super::{Event, EventKind, Hub};
use crate::store::{Change, Item};

/// Follows the other instances' changes for as long as the hub lives (nothing to do for a store
/// this process alone writes). Call it once, inside the runtime.
pub fn follow_instances(hub: &Arc<Hub>) {
    let Some(mut changes) = hub.store.changes() else { return };
    hub.shared.store(true, std::sync::atomic::Ordering::Relaxed);
    let hub: Weak<Hub> = Arc::downgrade(hub);
    tokio::spawn(async move {
        // One at a time, in the order the store committed them.
        while let Some(change) = changes.recv().await {
            let Some(hub) = hub.upgrade() else { return };
            hub.take_change(change).await;
        }
    });
}

impl Hub {
    /// Whether any session here follows `space`.
    fn followed(&self, space: SpaceId) -> bool {
        self.followers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(&space)
    }

    async fn take_change(&self, change: Change) {
        match change {
            Change::Blob { space, doc, seq } => {
                if !self.followed(space) {
                    return;
                }
                let max = self.limits.max_frame_bytes;
                let read = self.blocking(move |s| s.read(space, doc, seq.saturating_sub(1), 1, max)).await;
                let frame = match read.as_deref() {
                    Ok([Item::Blob { seq: got, blob, .. }, ..]) if *got == seq => {
                        Arc::new(blob_frame(seq, blob))
                    }
                    // Covered by a snapshot already, or not readable now: followers read the
                    // document from the store.
                    _ => {
                        return self.publish(&Event {
                            space,
                            doc,
                            seq,
                            frame: Arc::default(),
                            kind: EventKind::Missed,
                        });
                    }
                };
                self.publish(&Event { space, doc, seq, frame, kind: EventKind::Blob });
            }
            Change::Presence { space, doc, frame } => {
                self.publish(&Event { space, doc, seq: 0, frame, kind: EventKind::Presence });
            }
            Change::Members { space } => {
                self.forget(space);
                let Some(state) = self.membership(space).await else { return };
                let ops: Vec<Op> = state.ops().into_iter().cloned().collect();
                let frame = Arc::new(RelayFrame::Members { space, ops }.encode());
                self.publish(&Event { space, doc: DocRef([0; 16]), seq: 0, frame, kind: EventKind::Members });
            }
            Change::Erased { space } => {
                self.forget(space);
                let frame = Arc::new(RelayFrame::Removed { space }.encode());
                self.publish(&Event { space, doc: DocRef([0; 16]), seq: 0, frame, kind: EventKind::Erased });
            }
            Change::Lost => {
                tracing::warn!(
                    "the other instances' changes were interrupted; sessions read the store again"
                );
                self.forget_all();
                let spaces: Vec<SpaceId> = self
                    .followers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .keys()
                    .copied()
                    .collect();
                for space in spaces {
                    let event = Event {
                        space,
                        doc: DocRef([0; 16]),
                        seq: 0,
                        frame: Arc::default(),
                        kind: EventKind::MissedAll,
                    };
                    self.publish(&event);
                }
            }
        }
    }
}
