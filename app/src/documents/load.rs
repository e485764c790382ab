//! Loading a document from the device: in one pass when everything reads, record by record to
//! isolate damage otherwise; and what is known about what a damaged document lost.

use amplify::{Doc, DocError, Model};
use leptos::prelude::*;

use super::{
    handle::{Core, DocHandle, SAVE_DELAY, Slot},
    health::{Health, Recovery},
};
use crate::{
    platform::warn,
    storage::{Lost, Storage, Stored},
};

impl<M: Model + 'static> DocHandle<M> {
    /// Loads the document from `storage`. Damaged records are set aside, never dropped.
    ///
    /// `lost` says a record of this document was set aside on an earlier start and the relay
    /// has not given it back since: the document is still incomplete, even if everything left
    /// on the device now reads cleanly.
    pub async fn load(self, storage: Storage, lost: Option<Lost>) {
        self.core.load(storage, lost).await;
    }

    /// The relay has sent everything it holds for this document, from the start of its log
    /// (this device asked for all of it because the document was damaged here). If nothing is
    /// missing any more the document is whole again and its marks are cleared; otherwise its
    /// health says the relay did not have what was lost.
    pub async fn relay_sent_everything(self) {
        self.core.relay_sent_everything().await;
    }

    /// Whether this document lost something on this device that the relay may still hold.
    pub fn awaiting_relay(&self) -> bool {
        self.core.awaiting_relay()
    }
}

impl Core {
    pub(super) fn awaiting_relay(&self) -> bool {
        self.shared().borrow().awaiting_relay
    }

    pub(super) async fn load(self, storage: Storage, lost: Option<Lost>) {
        let key = self.key();
        let id = key.as_str();
        {
            let shared = self.shared();
            let mut state = shared.borrow_mut();
            state.storage = Some(storage.clone());
            // Whatever happens below, a document that lost something is fetched again.
            state.awaiting_relay = lost.is_some();
        }
        let stored = match storage.load(id).await {
            Ok(stored) => stored,
            Err(e) => {
                self.shared().borrow_mut().awaiting_relay = true;
                self.health.set(Health::unreadable(e.to_string()));
                return;
            }
        };
        let appended = stored.changes.iter().map(|(_, c)| c.as_ref().map_or(0, Vec::len)).sum();
        if stored.snapshot.is_none()
            && stored.changes.is_empty()
            && let Ok(Some(reason)) = storage.unreadable(id).await
        {
            self.shared().borrow_mut().awaiting_relay = true;
            self.health.set(Health::unreadable(reason));
            return;
        }
        // Fast path: the snapshot and every change after it, parsed in one go.
        let (kind, wrap) = {
            let shared = self.shared();
            let state = shared.borrow();
            (state.doc.kind(), state.wrap)
        };
        let (model, damaged) = match whole(&stored).map(|bytes| Doc::load(kind, &bytes).map(wrap)) {
            Some(Ok(model)) => (model, None),
            // Something is damaged (or there is nothing): read record by record to find what.
            _ => match self.load_by_record(&storage, id, stored).await {
                Some(loaded) => loaded,
                None => return,
            },
        };
        let mut model = model;
        // Changes that build on one that is not here wait, unapplied, for it: the document is
        // incomplete even when every record read cleanly (the damaged one was set aside before).
        let waiting = !model.doc_mut().missing_deps().is_empty();
        let told = lost.as_ref().is_some_and(|l| l.quiet);
        let damaged = damaged
            .or_else(|| {
                waiting
                    .then(|| "saved changes wait for an earlier change that is not on this device".to_owned())
            })
            .or_else(|| lost.filter(|l| !l.quiet).map(|l| l.reason));
        let edited_before_load = {
            let state = self.shared();
            let mut state = state.borrow_mut();
            state.awaiting_relay |= damaged.is_some() || told;
            state.persisted = model.doc_mut().heads();
            state.appended = appended;
            let mut early = std::mem::replace(&mut state.model, model);
            // The handle may have been edited before its bytes arrived (a page asked for it
            // while the device was still loading): those edits join the stored document
            // instead of being dropped. Every kind's first change is identical, so the fresh
            // copy shares its root with the stored one.
            let before = state.model.doc_mut().heads();
            if let Err(e) = state.model.doc_mut().merge(early.doc_mut()) {
                warn(&format!("edits made while {} was loading could not be merged: {e}", state.doc));
            }
            // Edits the last visit kept in localStorage because the page went before they were
            // stored (see `Core::rescue`): stored by the save below, which then drops the copy.
            if let Some(rescued) = Core::take_rescued(&key) {
                let stored = state.model.doc_mut().heads();
                match state.model.doc_mut().apply(&rescued) {
                    Ok(()) if state.model.doc_mut().heads() != stored => {
                        state.rescued = Some(state.model.doc_mut().heads());
                    }
                    // Waiting for an earlier change that is not here (a damaged record): kept
                    // until it arrives.
                    Ok(()) if !state.model.doc_mut().missing_deps().is_empty() => {}
                    // Already stored (the write did finish): nothing to keep.
                    Ok(()) => Core::forget_rescued(&key),
                    Err(e) => {
                        warn(&format!("edits kept for {} could not be read: {e}", state.doc));
                        Core::forget_rescued(&key);
                    }
                }
            }
            state.model.doc_mut().heads() != before
        };
        if edited_before_load {
            self.schedule_save(SAVE_DELAY);
        }
        self.version.update(|v| *v += 1);
        self.health.set(match damaged {
            Some(reason) => Health::Damaged { reason, recovery: Recovery::Waiting },
            None => Health::Ready,
        });
    }

    pub(super) async fn relay_sent_everything(self) {
        let (missing, storage, id) = {
            let shared = self.shared();
            let mut state = shared.borrow_mut();
            let missing = !state.model.doc_mut().missing_deps().is_empty();
            (missing, state.storage.clone(), state.key.clone())
        };
        let health = match self.health.get_untracked() {
            Health::Damaged { reason, .. } if missing => {
                Health::Damaged { reason, recovery: Recovery::NotOnRelay }
            }
            Health::Unreadable { reason, .. } => {
                Health::Unreadable { reason, recovery: Recovery::NotOnRelay }
            }
            Health::Loading => return,
            Health::Ready | Health::Damaged { .. } => {
                self.shared().borrow_mut().awaiting_relay = false;
                if let Some(storage) = storage
                    && let Err(e) = storage.recovered(&id).await
                {
                    // The mark stays: the next start asks the relay again, which is harmless.
                    warn(&format!("could not clear the recovery mark of {id}: {e}"));
                }
                Health::Ready
            }
        };
        self.health.set(health);
    }

    /// Loads record by record, setting aside what cannot be read. `None` if the document as a
    /// whole is unreadable (its health says why).
    async fn load_by_record(
        &self,
        storage: &Storage,
        id: &str,
        stored: Stored,
    ) -> Option<(Box<dyn Slot>, Option<String>)> {
        let (kind, fresh, wrap) = {
            let shared = self.shared();
            let state = shared.borrow();
            (state.doc.kind(), state.fresh, state.wrap)
        };
        let model = match stored.snapshot.map(|s| s.map_err(|_| not_bytes())) {
            None => Ok(fresh()),
            Some(Ok(bytes)) => Doc::load(kind, &bytes).map(wrap),
            Some(Err(e)) => Err(e),
        };
        let mut model = match model {
            Ok(model) => model,
            Err(e) => {
                let reason = e.to_string();
                // The changes were made on top of the unreadable snapshot: they go aside with it.
                let outcome = storage.set_aside_doc(id, &reason).await;
                self.shared().borrow_mut().awaiting_relay = true;
                self.health.set(Health::unreadable(match outcome {
                    Ok(()) => reason,
                    Err(store) => format!("{reason} (and setting it aside failed: {store})"),
                }));
                return None;
            }
        };
        let mut damaged = None;
        for (key, change) in stored.changes {
            if let Err(e) = change.map_err(|_| not_bytes()).and_then(|bytes| model.doc_mut().apply(&bytes)) {
                let reason = e.to_string();
                if let Err(store) = storage.set_aside_change(id, &key, &reason).await {
                    warn(&format!("could not set a damaged record of {id} aside: {store}"));
                }
                damaged = Some(reason);
            }
        }
        Some((model, damaged))
    }
}

/// The snapshot followed by every change record, as one byte string automerge loads in one
/// pass; `None` if there is nothing stored or a record is not bytes at all.
fn whole(stored: &Stored) -> Option<Vec<u8>> {
    let mut parts = Vec::new();
    if let Some(snapshot) = &stored.snapshot {
        parts.push(snapshot.as_ref().ok()?.as_slice());
    }
    for (_, change) in &stored.changes {
        parts.push(change.as_ref().ok()?.as_slice());
    }
    (!parts.is_empty()).then(|| parts.concat())
}

fn not_bytes() -> DocError {
    DocError::Corrupt("the stored record is not bytes".to_owned())
}
