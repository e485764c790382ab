//! Changes that came from the relay: taken in, kept on the device, never sent back.

use amplify::{DocError, Model, PayloadKind};
use leptos::prelude::*;

use super::{
    handle::{Core, DocHandle, SAVE_DELAY},
    health::{Health, SaveState},
};
use crate::storage::StorageError;

/// Why a change from the relay could not be taken in.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    #[error(transparent)]
    Doc(#[from] DocError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl<M: Model + 'static> DocHandle<M> {
    /// Takes in changes (or a whole document) that came from the relay, and keeps them on this
    /// device. They never go back into the outbox.
    ///
    /// Pending local edits are saved first, so that what is recorded as persisted never hides a
    /// local change the relay has not had.
    ///
    /// # Errors
    /// If the bytes are damaged (nothing changes), or if keeping them on the device failed (they
    /// are in memory, and will be fetched again since the caller does not move its cursor).
    pub async fn apply_remote(self, bytes: &[u8], kind: PayloadKind) -> Result<(), RemoteError> {
        self.core.apply_remote(bytes, kind).await
    }
}

impl Core {
    pub(super) async fn apply_remote(self, bytes: &[u8], kind: PayloadKind) -> Result<(), RemoteError> {
        let shared = self.shared();
        for _ in 0..50 {
            let (saving, clean) = {
                let mut state = shared.borrow_mut();
                let persisted = state.persisted.clone();
                (state.saving, state.model.doc_mut().heads() == persisted)
            };
            if clean && !saving {
                break;
            }
            self.flush().await;
            if matches!(self.save.get_untracked(), SaveState::Failed(_)) {
                break;
            }
        }
        // From here to the update of `persisted` nothing awaits, so no keystroke slips between.
        let (storage, id, clean, new) = {
            let mut state = shared.borrow_mut();
            let persisted = state.persisted.clone();
            let before = state.model.doc_mut().heads();
            let clean = before == persisted;
            match kind {
                PayloadKind::Snapshot => state.model.doc_mut().apply_snapshot(bytes)?,
                PayloadKind::Changes => state.model.doc_mut().apply(bytes)?,
                // Presence is not part of any document.
                PayloadKind::Presence => return Ok(()),
            }
            let after = state.model.doc_mut().heads();
            if clean {
                state.persisted = after.clone();
            }
            (state.storage.clone(), state.key.clone(), clean, after != before)
        };
        if !new {
            // Already here (this device's own changes, echoed back): nothing to keep.
            return Ok(());
        }
        self.version.update(|v| *v += 1);
        if matches!(self.health.get_untracked(), Health::Unreadable { .. }) {
            // What could not be read here came back from the relay.
            self.health.set(Health::Ready);
            self.forget_unreadable();
        }
        let Some(storage) = storage else {
            // Shown, but on no storage (a handle still waiting for its load): the caller leaves
            // its cursor, so the relay sends it again, and the load keeps what is here now.
            return Err(
                StorageError::Unavailable(format!("{id} is not open on this device's storage yet")).into()
            );
        };
        if !clean {
            // Local edits could not be saved (a full disk): save everything together later.
            self.schedule_save(SAVE_DELAY);
            return Ok(());
        }
        if kind == PayloadKind::Snapshot {
            // Keep it as this device's snapshot too (a whole document is no change record).
            self.compact(&shared, &storage).await?;
        } else {
            storage.append(&id, bytes, None).await?;
            shared.borrow_mut().appended += bytes.len();
        }
        Ok(())
    }
}
