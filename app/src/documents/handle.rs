//! A handle on one document: reading (reactively), editing, and saving (incremental,
//! debounced, retried, compacted). The UI never sees bytes or storage.

use std::{any::Any, cell::RefCell, marker::PhantomData, rc::Rc, time::Duration};

use amplify::{ChangeHash, Doc, DocId, Model};
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

/// A document's model, whatever its kind: what the untyped [`Core`] saves and loads.
pub(super) trait Slot: 'static {
    fn doc_mut(&mut self) -> &mut Doc;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<M: Model + 'static> Slot for M {
    fn doc_mut(&mut self) -> &mut Doc {
        Model::doc_mut(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// What a handle holds, shared by every copy of it.
pub(super) struct State {
    pub(super) doc: DocId,
    /// The document's storage key: its id, written out once.
    pub(super) key: String,
    pub(super) hook: SharedHook,
    /// Always a model of the handle's kind `M` (made by `fresh` or `wrap`).
    pub(super) model: Box<dyn Slot>,
    /// A new, empty model of the handle's kind.
    pub(super) fresh: fn() -> Box<dyn Slot>,
    /// Wraps a loaded document in the handle's model.
    pub(super) wrap: fn(Doc) -> Box<dyn Slot>,
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
    /// The heads of the edits kept in localStorage by [`Core::rescue`]: the save that stores
    /// exactly them clears that copy.
    pub(super) rescued: Option<Vec<ChangeHash>>,
    /// When the last edit was made (`performance.now()`, ms): an edit within [`SAVE_DELAY`] of
    /// it is part of a run of typing.
    pub(super) last_edit_ms: f64,
}

/// Where [`Core::rescue`] keeps a document's unsaved edits: this prefix, then its key.
const RESCUE: &str = "amplify.rescue.";

/// A document of kind `M` held by this device. `Copy`, so views can capture it freely.
///
/// Only reading and editing know the model; saving, loading and taking in remote changes live
/// in [`Core`], compiled once rather than once per kind of document.
pub struct DocHandle<M: 'static> {
    pub(super) core: Core,
    _model: PhantomData<fn() -> M>,
}

/// A handle without its model's type: everything that works on the automerge document alone.
#[derive(Clone, Copy)]
pub(super) struct Core {
    pub(super) state: StoredValue<Rc<RefCell<State>>, LocalStorage>,
    pub(super) version: RwSignal<u64>,
    pub(super) health: RwSignal<Health>,
    pub(super) save: RwSignal<SaveState>,
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
        self.core.version == other.core.version
    }
}

impl<M: Model + 'static> DocHandle<M> {
    /// A handle on the document `id`; nothing is read until [`DocHandle::load`].
    pub fn new(id: DocId) -> DocHandle<M> {
        let state = State {
            doc: id,
            key: id.to_string(),
            hook: SharedHook::default(),
            model: Box::new(M::new()),
            fresh: || Box::new(M::new()),
            wrap: |doc| Box::new(M::from_doc(doc)),
            storage: None,
            persisted: Vec::new(),
            saving: false,
            appended: 0,
            dirty: false,
            timer: None,
            retry_delay: Duration::from_secs(2),
            awaiting_relay: false,
            rescued: None,
            last_edit_ms: f64::NEG_INFINITY,
        };
        let core = Core {
            state: StoredValue::new_local(Rc::new(RefCell::new(state))),
            version: RwSignal::new(0),
            health: RwSignal::new(Health::Loading),
            save: RwSignal::new(SaveState::Saved),
        };
        DocHandle { core, _model: PhantomData }
    }

    /// A handle on a document that storage does not hold yet (a new month's journal volume):
    /// ready at once, created on storage by its first save.
    pub fn new_empty(id: DocId, storage: Storage) -> DocHandle<M> {
        let handle = DocHandle::new(id);
        handle.core.shared().borrow_mut().storage = Some(storage);
        handle.core.health.set(Health::Ready);
        handle
    }

    /// Shares `hook` with this handle, so its saves reach the relay.
    pub fn attach(&self, hook: &SharedHook) -> Self {
        self.core.attach(hook);
        *self
    }

    pub fn id(&self) -> DocId {
        self.core.id()
    }

    /// Reads the document; a view calling this re-renders when the document changes.
    pub fn with<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        self.core.version.track();
        self.with_untracked(f)
    }

    /// Changes the document and saves it: once painted after a quiet spell, if everything
    /// before was saved (a tap on a button is on storage a frame later); else shortly
    /// after the last of a run of edits (typing costs one save per pause, not one per
    /// keystroke; a page left before that keeps the edits, see [`Core::rescue`]).
    pub fn edit<R>(&self, f: impl FnOnce(&mut M) -> R) -> R {
        let result = {
            let shared = self.core.shared();
            let mut state = shared.borrow_mut();
            f(state.model.as_any_mut().downcast_mut().expect("a handle holds a model of its kind"))
        };
        self.core.edited();
        result
    }

    pub fn health(&self) -> Health {
        self.core.health.get()
    }

    /// The document's heads now (committing any open edit).
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.core.shared().borrow_mut().model.doc_mut().heads()
    }

    /// Reads the document without subscribing the caller to its changes.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        let shared = self.core.shared();
        let state = shared.borrow();
        f(state.model.as_any().downcast_ref().expect("a handle holds a model of its kind"))
    }

    pub fn health_untracked(&self) -> Health {
        self.core.health.get_untracked()
    }

    pub(crate) fn set_health(&self, health: Health) {
        self.core.health.set(health);
    }

    pub fn save_state(&self) -> SaveState {
        self.core.save.get()
    }

    pub(super) fn save_state_untracked(&self) -> SaveState {
        self.core.save.get_untracked()
    }

    /// Counts the document's changes (edits, remote changes, loads) on this device.
    pub(super) fn version_untracked(&self) -> u64 {
        self.core.version.get_untracked()
    }

    /// Saves pending edits now, instead of after the debounce.
    pub async fn flush(self) {
        self.core.flush().await;
    }

    /// The whole document, for a snapshot or for re-sending it under another space.
    pub fn save_whole(&self) -> Vec<u8> {
        self.core.save_whole()
    }

    /// Replaces the document on this device with `model`, history and all, and drops every
    /// stored record of the old one. Used for an entry its writer stopped sharing.
    pub async fn replace_with(&self, model: M) -> Result<(), StorageError> {
        self.core.replace_with(Box::new(model)).await
    }

    /// Accepts that an unreadable document is gone from this device and starts a new one.
    /// Its old bytes stay set aside.
    pub fn start_fresh(&self) {
        if matches!(self.core.health.get_untracked(), Health::Unreadable { .. }) {
            self.core.health.set(Health::Ready);
            self.core.forget_unreadable();
        }
    }
}

impl Core {
    pub(super) fn shared(&self) -> Rc<RefCell<State>> {
        self.state.get_value()
    }

    pub(super) fn attach(&self, hook: &SharedHook) {
        self.shared().borrow_mut().hook = hook.clone();
    }

    pub(super) fn id(&self) -> DocId {
        self.shared().borrow().doc
    }

    pub(super) fn save_whole(&self) -> Vec<u8> {
        self.shared().borrow_mut().model.doc_mut().save()
    }

    /// The key the document is stored under on the device (its id, written out).
    pub(super) fn key(&self) -> String {
        self.shared().borrow().key.clone()
    }

    /// After an edit: saves at once if everything before was saved, else after a pause.
    fn edited(&self) {
        self.version.update(|v| *v += 1);
        let now = crate::platform::monotonic_ms();
        let quiet = {
            let shared = self.shared();
            let mut state = shared.borrow_mut();
            let quiet = now - state.last_edit_ms >= SAVE_DELAY.as_secs_f64() * 1000.0;
            state.last_edit_ms = now;
            quiet
        };
        // A keystroke right after another waits for the run to end, even when the save of the
        // one before has finished: saving (sealing, and compacting every 64 records) inside a
        // keystroke's frame is what made typing stutter. The first edit after a quiet spell is
        // saved at once, but after the browser has painted it: saved in the keystroke's own
        // task, its sealing and the IndexedDB request held up that keystroke's frame (`./x
        // profile`: the first key's listeners took 6.9 ms and its frame came at 8.4 ms, 4.6
        // and 5.8 ms now; the second key's 3.2 and 4.2). A page left within that frame keeps
        // the edit all the same: leaving rescues it ([`Core::rescue`]).
        if quiet && self.save.get_untracked() == SaveState::Saved {
            self.save.set(SaveState::Pending);
            let this = *self;
            wasm_bindgen_futures::spawn_local(async move {
                crate::platform::after_paint().await;
                this.flush().await;
            });
        } else {
            self.schedule_save(SAVE_DELAY);
        }
    }

    /// Keeps the edits not yet on storage in localStorage, at once: a page being unloaded
    /// (a reload, the app swiped away) may end before an IndexedDB write commits, while a
    /// localStorage write is done when the call returns. The next load applies them
    /// ([`Core::take_rescued`]); the save that stores them clears the copy.
    pub(super) fn rescue(&self) {
        // Only a document that loaded: before that (or when its bytes could not be read) there
        // is no stored state to add to, and the whole document would be copied.
        if !matches!(self.health.get_untracked(), Health::Ready | Health::Damaged { .. }) {
            return;
        }
        let shared = self.shared();
        let mut state = shared.borrow_mut();
        if state.storage.is_none() {
            return;
        }
        let persisted = state.persisted.clone();
        let bytes = state.model.doc_mut().save_after(&persisted);
        if bytes.is_empty() {
            return;
        }
        state.rescued = Some(state.model.doc_mut().heads());
        crate::platform::remember(&format!("{RESCUE}{}", state.key), &bytes);
    }

    /// Edits [`Core::rescue`] kept for the document `key` on an earlier visit, if any.
    pub(super) fn take_rescued(key: &str) -> Option<Vec<u8>> {
        crate::platform::remembered(&format!("{RESCUE}{key}"))
    }

    /// Drops the rescued copy of the document `key` (its edits are on storage).
    pub(super) fn forget_rescued(key: &str) {
        crate::platform::forget_remembered(&format!("{RESCUE}{key}"));
    }

    /// Saves pending edits now, instead of after the debounce.
    pub(super) async fn flush(self) {
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

    async fn save_once(&self, shared: &Rc<RefCell<State>>) -> Result<(), StorageError> {
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
            if state.rescued.as_ref() == Some(&heads) {
                state.rescued = None;
                Core::forget_rescued(&state.key);
            }
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
        shared: &Rc<RefCell<State>>,
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

    async fn replace_with(&self, mut model: Box<dyn Slot>) -> Result<(), StorageError> {
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
