//! A handle on one document: reading (reactively), editing, and saving (incremental,
//! debounced, retried, compacted). The UI never sees bytes or storage.

use std::{cell::RefCell, marker::PhantomData, rc::Rc, time::Duration};

use amplify::{ChangeHash, DocId, Model};
use leptos::prelude::*;

use super::{
    health::{Health, SaveState},
    hook::SharedHook,
};
use crate::{
    platform::warn,
    storage::{Storage, StorageError},
};

/// Edits are saved this long after the last keystroke; a crash loses at most this much.
pub(super) const SAVE_DELAY: Duration = Duration::from_millis(300);

/// A document is compacted into one snapshot after this many appended changes, or after this
/// many bytes of them: changes load several times slower than a snapshot of the same content.
const COMPACT_AFTER: u32 = 64;
const COMPACT_AFTER_BYTES: usize = 16 * 1024;

/// What a handle holds, shared by every copy of it.
pub(super) struct State<M> {
    pub(super) doc: DocId,
    /// The document's storage key: its id, written out once.
    pub(super) key: String,
    pub(super) hook: SharedHook,
    pub(super) model: M,
    pub(super) storage: Option<Storage>,
    /// Heads of what is on storage: the next save appends everything after them.
    pub(super) persisted: Vec<ChangeHash>,
    pub(super) saving: bool,
    /// Bytes appended since the last snapshot.
    pub(super) appended: usize,
    /// Edited while a save was running: save again when it ends.
    pub(super) dirty: bool,
    pub(super) timer: Option<TimeoutHandle>,
    pub(super) retry_delay: Duration,
    /// A record of this document could not be read here (now or on an earlier start), and the
    /// relay has not yet sent everything it holds for it.
    pub(super) awaiting_relay: bool,
}

/// A document of kind `M` held by this device. `Copy`, so views can capture it freely.
pub struct DocHandle<M: 'static> {
    pub(super) state: StoredValue<Rc<RefCell<State<M>>>, LocalStorage>,
    pub(super) version: RwSignal<u64>,
    pub(super) health: RwSignal<Health>,
    pub(super) save: RwSignal<SaveState>,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for DocHandle<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for DocHandle<M> {}

impl<M> PartialEq for DocHandle<M> {
    fn eq(&self, other: &Self) -> bool {
        // Each handle owns its own signals, so one of them identifies it.
        self.version == other.version
    }
}

impl<M: Model + 'static> DocHandle<M> {
    /// A handle on the document `id`; nothing is read until [`DocHandle::load`].
    pub fn new(id: DocId) -> DocHandle<M> {
        let state = State {
            doc: id,
            key: id.to_string(),
            hook: SharedHook::default(),
            model: M::new(),
            storage: None,
            persisted: Vec::new(),
            saving: false,
            appended: 0,
            dirty: false,
            timer: None,
            retry_delay: Duration::from_secs(2),
            awaiting_relay: false,
        };
        DocHandle {
            state: StoredValue::new_local(Rc::new(RefCell::new(state))),
            version: RwSignal::new(0),
            health: RwSignal::new(Health::Loading),
            save: RwSignal::new(SaveState::Saved),
            _model: PhantomData,
        }
    }

    pub(super) fn shared(&self) -> Rc<RefCell<State<M>>> {
        self.state.get_value()
    }

    /// A handle on a document that storage does not hold yet (a new month's journal volume):
    /// ready at once, created on storage by its first save.
    pub fn new_empty(id: DocId, storage: Storage) -> DocHandle<M> {
        let handle = DocHandle::new(id);
        handle.shared().borrow_mut().storage = Some(storage);
        handle.health.set(Health::Ready);
        handle
    }

    /// Shares `hook` with this handle, so its saves reach the relay.
    pub fn attach(&self, hook: &SharedHook) -> Self {
        self.shared().borrow_mut().hook = hook.clone();
        *self
    }

    pub fn id(&self) -> DocId {
        self.shared().borrow().doc
    }

    /// The key the document is stored under on the device (its id, written out).
    pub(super) fn key(&self) -> String {
        self.shared().borrow().key.clone()
    }

    /// Reads the document; a view calling this re-renders when the document changes.
    pub fn with<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        self.version.track();
        f(&self.shared().borrow().model)
    }

    /// Changes the document and saves it: at once if everything before was saved (a tap on
    /// a button is kept before the person can leave the page), else shortly after the last of
    /// a run of edits (typing costs one save per pause, not one per keystroke).
    pub fn edit<R>(&self, f: impl FnOnce(&mut M) -> R) -> R {
        let result = f(&mut self.shared().borrow_mut().model);
        self.version.update(|v| *v += 1);
        if self.save.get_untracked() == SaveState::Saved {
            self.save.set(SaveState::Pending);
            wasm_bindgen_futures::spawn_local(self.flush());
        } else {
            self.schedule_save(SAVE_DELAY);
        }
        result
    }

    pub fn health(&self) -> Health {
        self.health.get()
    }

    /// The document's heads now (committing any open edit).
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.shared().borrow_mut().model.doc_mut().heads()
    }

    /// Reads the document without subscribing the caller to its changes.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        f(&self.shared().borrow().model)
    }

    pub fn health_untracked(&self) -> Health {
        self.health.get_untracked()
    }

    pub(crate) fn set_health(&self, health: Health) {
        self.health.set(health);
    }

    pub fn save_state(&self) -> SaveState {
        self.save.get()
    }

    /// Saves pending edits now, instead of after the debounce.
    pub async fn flush(self) {
        let shared = self.shared();
        if let Some(timer) = shared.borrow_mut().timer.take() {
            timer.clear();
        }
        {
            let mut state = shared.borrow_mut();
            if state.saving {
                state.dirty = true;
                return;
            }
            state.saving = true;
        }
        loop {
            shared.borrow_mut().dirty = false;
            let outcome = self.save_once(&shared).await;
            let again = {
                let mut state = shared.borrow_mut();
                match &outcome {
                    Ok(()) => state.retry_delay = Duration::from_secs(2),
                    Err(_) => state.retry_delay = (state.retry_delay * 2).min(Duration::from_secs(60)),
                }
                state.dirty && outcome.is_ok()
            };
            match outcome {
                Ok(()) if again => continue,
                // An edit made while this save was writing has its own save scheduled: until
                // that one is done, the status must not say "saved".
                Ok(()) if shared.borrow().timer.is_some() => {}
                Ok(()) => self.save.set(SaveState::Saved),
                Err(e) => {
                    self.save.set(SaveState::Failed(e));
                    let delay = shared.borrow().retry_delay;
                    shared.borrow_mut().saving = false;
                    self.schedule_save(delay);
                    return;
                }
            }
            break;
        }
        shared.borrow_mut().saving = false;
    }

    pub(super) fn schedule_save(&self, delay: Duration) {
        if self.save.get_untracked() == SaveState::Saved {
            self.save.set(SaveState::Pending);
        }
        let shared = self.shared();
        if let Some(timer) = shared.borrow_mut().timer.take() {
            timer.clear();
        }
        let this = *self;
        let timer =
            set_timeout_with_handle(move || wasm_bindgen_futures::spawn_local(this.flush()), delay).ok();
        shared.borrow_mut().timer = timer;
    }

    async fn save_once(&self, shared: &Rc<RefCell<State<M>>>) -> Result<(), StorageError> {
        let (id, doc, storage, bytes, heads, hook) = {
            let mut state = shared.borrow_mut();
            let Some(storage) = state.storage.clone() else {
                return Ok(());
            };
            let persisted = state.persisted.clone();
            let bytes = state.model.doc_mut().save_after(&persisted);
            let heads = state.model.doc_mut().heads();
            let hook = state.hook.borrow().clone();
            (state.key.clone(), state.doc, storage, bytes, heads, hook)
        };
        if bytes.is_empty() {
            return Ok(());
        }
        // The sealed copy for the relay goes into the outbox in the same transaction.
        let outgoing = hook.as_ref().and_then(|h| (h.seal)(doc, &bytes));
        let count = storage.append(&id, &bytes, outgoing.as_ref()).await?;
        if let (Some(hook), Some(_)) = (&hook, &outgoing) {
            (hook.notify)();
        }
        let appended = {
            let mut state = shared.borrow_mut();
            state.persisted = heads;
            state.appended += bytes.len();
            state.appended
        };
        if count >= COMPACT_AFTER || appended >= COMPACT_AFTER_BYTES {
            self.compact(shared, &storage).await?;
        }
        Ok(())
    }

    pub(super) async fn compact(
        &self,
        shared: &Rc<RefCell<State<M>>>,
        storage: &Storage,
    ) -> Result<(), StorageError> {
        let id = shared.borrow().key.clone();
        let mut changed = false;
        let mut covered = Vec::new();
        storage
            .compact(&id, |pending| {
                let mut state = shared.borrow_mut();
                let before = state.model.doc_mut().heads();
                // Another tab may have appended changes this one has not seen: fold them in.
                for bytes in pending {
                    if let Err(e) = state.model.doc_mut().apply(&bytes) {
                        // Left on storage as it is; the next load sets it aside.
                        warn(&format!("a change another tab saved could not be read: {e}"));
                    }
                }
                covered = state.model.doc_mut().heads();
                changed = covered != before;
                // Changes waiting for a missing one would be left out of the snapshot, and
                // their records deleted: keep the records until what they need arrives.
                if !state.model.doc_mut().missing_deps().is_empty() {
                    return None;
                }
                Some(state.model.doc_mut().save())
            })
            .await?;
        {
            let mut state = shared.borrow_mut();
            state.persisted = covered;
            state.appended = 0;
        }
        if changed {
            self.version.update(|v| *v += 1);
        }
        Ok(())
    }

    /// The whole document, for a snapshot or for re-sending it under another space.
    pub fn save_whole(&self) -> Vec<u8> {
        self.shared().borrow_mut().model.doc_mut().save()
    }

    /// Replaces the document on this device with `model`, history and all, and drops every
    /// stored record of the old one. Used for an entry its writer stopped sharing.
    pub async fn replace_with(&self, mut model: M) -> Result<(), StorageError> {
        let bytes = model.doc_mut().save();
        let heads = model.doc_mut().heads();
        let storage = {
            let shared = self.shared();
            let mut state = shared.borrow_mut();
            state.model = model;
            state.persisted = heads;
            state.appended = 0;
            state.storage.clone()
        };
        self.version.update(|v| *v += 1);
        match storage {
            Some(storage) => storage.replace(&self.key(), &bytes).await,
            None => Ok(()),
        }
    }

    /// Accepts that an unreadable document is gone from this device and starts a new one.
    /// Its old bytes stay set aside.
    pub fn start_fresh(&self) {
        if matches!(self.health.get_untracked(), Health::Unreadable { .. }) {
            self.health.set(Health::Ready);
            self.forget_unreadable();
        }
    }

    pub(super) fn forget_unreadable(&self) {
        if let Some(storage) = self.shared().borrow().storage.clone() {
            let id = self.key();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = storage.forget_unreadable(&id).await {
                    warn(&format!("could not clear the unreadable mark of {id}: {e}"));
                }
            });
        }
    }
}
