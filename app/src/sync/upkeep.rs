//! Keeping the relay's copy lean: snapshots once a log has grown, withdrawn entries dropped at
//! once, documents re-filed under their current reference.

use amplify::{Model, PayloadKind, SharedEntry, SpaceId};
use wasm_bindgen::JsValue;

use super::{SNAPSHOT_BYTES, SNAPSHOT_EVERY, cursors::Cursor, engine::Engine};
use crate::{documents::Target, platform::warn};

impl Engine {
    /// Re-files, once, each document the relay holds under its version-1 reference (keyed with
    /// the content key itself) under its current one: the whole document as one blob. Blobs
    /// under the old reference still open; from here on the current log has everything, so its
    /// snapshots cover the whole document.
    pub(super) async fn refile_legacy(&self, space: SpaceId) {
        let Some(account) = self.account() else { return };
        // Only spaces from before governed spaces have version-1 references.
        let Some(refs) =
            account.space(space).filter(|s| s.can_write() && s.governed().is_none()).and_then(|s| s.refs())
        else {
            return;
        };
        let mut queued = false;
        for target in self.repo.targets_in(space) {
            let id = target.id();
            let legacy = refs.legacy_doc_ref(&id.to_string());
            let on_relay = self.cursors.borrow().get(space, legacy).seq > 0;
            let done_key = format!("refiled/{id}");
            if !on_relay || matches!(self.storage.get_kv(&done_key).await, Ok(Some(_))) {
                continue;
            }
            let Some(outgoing) = self.seal(id, &target.save_whole(), PayloadKind::Changes, 0) else {
                continue;
            };
            // The outbox is durable: once the blob is queued, the re-filing is as good as done.
            if self.storage.enqueue(&outgoing).await.is_ok() {
                queued = true;
                if let Err(e) = self.storage.put_kv(&done_key, &JsValue::TRUE).await {
                    web_sys::console::warn_1(&format!("could not note that {id} was re-filed: {e}").into());
                }
            }
        }
        if queued {
            self.send_outbox().await;
        }
    }

    /// After this device rotated `space`'s key: every document of the space uploaded again,
    /// whole, under the new key. Devices that read the space from now on get every word
    /// written before the removal from it (what a removed device signed is no longer taken from
    /// anyone), and the removed device could not open it.
    pub(super) async fn snapshot_all(&self, space: SpaceId) {
        self.snapshot_where(space, |target, cursor| (cursor.seq > 0).then(|| target.save_whole())).await;
    }

    /// Queues a snapshot of each document whose log has grown far past its last one (by
    /// [`SNAPSHOT_EVERY`] blobs, or by more bytes than the whole document and at least
    /// [`SNAPSHOT_BYTES`], as automerge-repo compacts its storage), so a new device starts from
    /// it instead of replaying everything and the relay keeps the document, not its history;
    /// and of each withdrawn shared entry at once, as a document with no history, so the relay
    /// drops every blob that held the entry's text.
    pub(super) async fn snapshot_if_due(&self, space: SpaceId) {
        self.snapshot_where(space, |target, cursor| {
            let withdrawn = matches!(target, Target::Shared(h) if h.with_untracked(|s| s.view().withdrawn));
            if withdrawn {
                (cursor.seq > cursor.covers).then(|| SharedEntry::withdrawn().doc_mut().save())
            } else if cursor.seq >= cursor.covers + SNAPSHOT_EVERY {
                Some(target.save_whole())
            } else if cursor.seq > cursor.covers && cursor.bytes > SNAPSHOT_BYTES.max(cursor.whole) {
                // A few large blobs (a week offline, folded) weigh as much as many small ones.
                let whole = target.save_whole();
                cursor.whole = whole.len() as u64;
                (cursor.bytes > cursor.whole).then_some(whole)
            } else {
                None
            }
        })
        .await;
    }

    /// Queues, for each document of `space` this device writes, the snapshot `snapshot` gives
    /// (its bytes, or `None` for no snapshot now), covering the log up to the cursor; one at a
    /// time per document.
    async fn snapshot_where(
        &self,
        space: SpaceId,
        snapshot: impl Fn(Target, &mut Cursor) -> Option<Vec<u8>>,
    ) {
        let Some(account) = self.account() else { return };
        let Some(refs) = account.space(space).filter(|s| s.can_write()).and_then(|s| s.refs()) else {
            return;
        };
        let mut queued = false;
        for target in self.repo.targets_in(space) {
            let id = target.id();
            let doc = refs.doc_ref(&id.to_string());
            if self.snapshotting.borrow().contains(&(space, doc)) {
                continue;
            }
            let mut cursor = self.cursors.borrow().get(space, doc);
            let snapshot = snapshot(target, &mut cursor);
            if cursor.whole != self.cursors.borrow().get(space, doc).whole {
                self.cursors.borrow_mut().entry(space, doc).whole = cursor.whole;
            }
            let Some(bytes) = snapshot else { continue };
            let Some(outgoing) = self.seal(id, &bytes, PayloadKind::Snapshot, cursor.seq) else { continue };
            match self.storage.enqueue(&outgoing).await {
                Ok(()) => {
                    self.snapshotting.borrow_mut().insert((space, doc));
                    queued = true;
                }
                // Asked again after the next acknowledgement.
                Err(e) => warn(&format!("could not queue a snapshot of {id}: {e}")),
            }
        }
        if queued {
            self.send_outbox().await;
        }
    }
}
