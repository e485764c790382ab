//! The documents this device holds, as handles the UI reads and edits. A handle owns loading,
//! saving (incremental, debounced, retried) and compaction; the UI never sees bytes or storage.

use std::{cell::RefCell, marker::PhantomData, rc::Rc, time::Duration};

use amplify::{ChangeHash, DocError, Model, Profile};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    journal_book::JournalBook,
    storage::{Storage, StorageError, Stored},
};

/// Whether a document could be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Loading,
    Ready,
    /// Opened, but some saved edits could not be read and were set aside.
    Damaged {
        reason: String,
    },
    /// Could not be opened at all; its bytes were set aside. Writing starts a new document.
    Unreadable {
        reason: String,
    },
}

/// Whether the latest edits are on the device's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    Saved,
    Pending,
    Failed(StorageError),
}

impl SaveState {
    /// What the status line says.
    pub fn message(&self) -> String {
        match self {
            SaveState::Saved => "Saved on this device".to_owned(),
            SaveState::Pending => "Saving…".to_owned(),
            SaveState::Failed(StorageError::Quota) => "Not saved: this device is out of storage space. \
                Your text is still here; free some space and Amplify will keep trying."
                .to_owned(),
            SaveState::Failed(e) => {
                format!("Not saved: {e}. Your text is still here and Amplify will keep trying.")
            }
        }
    }
}

/// Edits are saved this long after the last keystroke; a crash loses at most this much.
const SAVE_DELAY: Duration = Duration::from_millis(300);
/// A document is compacted into one snapshot after this many appended changes, or after this
/// many bytes of them: changes load several times slower than a snapshot of the same content.
const COMPACT_AFTER: u32 = 64;
const COMPACT_AFTER_BYTES: usize = 16 * 1024;

struct State<M> {
    id: String,
    model: M,
    storage: Option<Storage>,
    /// Heads of what is on storage: the next save appends everything after them.
    persisted: Vec<ChangeHash>,
    saving: bool,
    /// Bytes appended since the last snapshot.
    appended: usize,
    /// Edited while a save was running: save again when it ends.
    dirty: bool,
    timer: Option<TimeoutHandle>,
    retry_delay: Duration,
}

/// A document of kind `M` held by this device. `Copy`, so views can capture it freely.
pub struct DocHandle<M: 'static> {
    state: StoredValue<Rc<RefCell<State<M>>>, LocalStorage>,
    version: RwSignal<u64>,
    health: RwSignal<Health>,
    save: RwSignal<SaveState>,
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
    /// A handle on the document stored under `id`; nothing is read until [`DocHandle::load`].
    pub fn new(id: impl Into<String>) -> DocHandle<M> {
        let state = State {
            id: id.into(),
            model: M::new(),
            storage: None,
            persisted: Vec::new(),
            saving: false,
            appended: 0,
            dirty: false,
            timer: None,
            retry_delay: Duration::from_secs(2),
        };
        DocHandle {
            state: StoredValue::new_local(Rc::new(RefCell::new(state))),
            version: RwSignal::new(0),
            health: RwSignal::new(Health::Loading),
            save: RwSignal::new(SaveState::Saved),
            _model: PhantomData,
        }
    }

    fn shared(&self) -> Rc<RefCell<State<M>>> {
        self.state.get_value()
    }

    /// A handle on a document that storage does not hold yet (a new month's journal volume):
    /// ready at once, created on storage by its first save.
    pub fn new_empty(id: impl Into<String>, storage: Storage) -> DocHandle<M> {
        let handle = DocHandle::new(id);
        handle.shared().borrow_mut().storage = Some(storage);
        handle.health.set(Health::Ready);
        handle
    }

    pub fn id(&self) -> String {
        self.shared().borrow().id.clone()
    }

    /// Reads the document; a view calling this re-renders when the document changes.
    pub fn with<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        self.version.track();
        f(&self.shared().borrow().model)
    }

    /// Changes the document and schedules a save.
    pub fn edit<R>(&self, f: impl FnOnce(&mut M) -> R) -> R {
        let result = f(&mut self.shared().borrow_mut().model);
        self.version.update(|v| *v += 1);
        self.schedule_save(SAVE_DELAY);
        result
    }

    pub fn health(&self) -> Health {
        self.health.get()
    }

    pub(crate) fn health_untracked(&self) -> Health {
        self.health.get_untracked()
    }

    pub(crate) fn set_health(&self, health: Health) {
        self.health.set(health);
    }

    pub fn save_state(&self) -> SaveState {
        self.save.get()
    }

    /// Accepts that an unreadable document is gone from this device and starts a new one.
    /// Its old bytes stay set aside.
    pub fn start_fresh(&self) {
        if matches!(self.health.get_untracked(), Health::Unreadable { .. }) {
            self.health.set(Health::Ready);
        }
    }

    /// Loads the document from `storage`. Damaged records are set aside, never dropped.
    pub async fn load(self, storage: Storage) {
        let id = self.id();
        let id = id.as_str();
        self.shared().borrow_mut().storage = Some(storage.clone());
        let stored = match storage.load(id).await {
            Ok(stored) => stored,
            Err(e) => {
                self.health.set(Health::Unreadable { reason: e.to_string() });
                return;
            }
        };
        let appended = stored.changes.iter().map(|(_, c)| c.as_ref().map_or(0, Vec::len)).sum();
        // Fast path: the snapshot and every change after it, parsed in one go.
        let (model, damaged) = match whole(&stored).map(|bytes| M::load(&bytes)) {
            Some(Ok(model)) => (model, None),
            // Something is damaged (or there is nothing): read record by record to find what.
            _ => match self.load_by_record(&storage, id, stored).await {
                Some(loaded) => loaded,
                None => return,
            },
        };
        let mut model = model;
        {
            let state = self.shared();
            let mut state = state.borrow_mut();
            state.persisted = model.doc_mut().heads();
            state.appended = appended;
            state.model = model;
        }
        self.version.update(|v| *v += 1);
        self.health.set(match damaged {
            Some(reason) => Health::Damaged { reason },
            None => Health::Ready,
        });
    }

    /// Loads record by record, setting aside what cannot be read. `None` if the document as a
    /// whole is unreadable (its health says why).
    async fn load_by_record(
        &self,
        storage: &Storage,
        id: &str,
        stored: Stored,
    ) -> Option<(M, Option<String>)> {
        let model = match stored.snapshot.map(|s| s.map_err(|_| not_bytes())) {
            None => Ok(M::new()),
            Some(Ok(bytes)) => M::load(&bytes),
            Some(Err(e)) => Err(e),
        };
        let mut model = match model {
            Ok(model) => model,
            Err(e) => {
                let reason = e.to_string();
                // The changes were made on top of the unreadable snapshot: they go aside with it.
                let outcome = storage.set_aside_doc(id, &reason).await;
                self.health.set(Health::Unreadable {
                    reason: match outcome {
                        Ok(()) => reason,
                        Err(store) => format!("{reason} (and setting it aside failed: {store})"),
                    },
                });
                return None;
            }
        };
        let mut damaged = None;
        for (key, change) in stored.changes {
            if let Err(e) = change.map_err(|_| not_bytes()).and_then(|bytes| model.doc_mut().apply(&bytes)) {
                let reason = e.to_string();
                let _ = storage.set_aside_change(id, &key, &reason).await;
                damaged = Some(reason);
            }
        }
        Some((model, damaged))
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

    fn schedule_save(&self, delay: Duration) {
        if self.save.get_untracked() == SaveState::Saved {
            self.save.set(SaveState::Pending);
        }
        let shared = self.shared();
        if let Some(timer) = shared.borrow_mut().timer.take() {
            timer.clear();
        }
        let this = *self;
        let timer = set_timeout_with_handle(move || spawn_local(this.flush()), delay).ok();
        shared.borrow_mut().timer = timer;
    }

    async fn save_once(&self, shared: &Rc<RefCell<State<M>>>) -> Result<(), StorageError> {
        let (id, storage, bytes, heads) = {
            let mut state = shared.borrow_mut();
            let Some(storage) = state.storage.clone() else {
                return Ok(());
            };
            let persisted = state.persisted.clone();
            let bytes = state.model.doc_mut().save_after(&persisted);
            let heads = state.model.doc_mut().heads();
            (state.id.clone(), storage, bytes, heads)
        };
        if bytes.is_empty() {
            return Ok(());
        }
        let count = storage.append(&id, &bytes).await?;
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

    async fn compact(&self, shared: &Rc<RefCell<State<M>>>, storage: &Storage) -> Result<(), StorageError> {
        let id = shared.borrow().id.clone();
        let mut changed = false;
        let mut covered = Vec::new();
        storage
            .compact(&id, |pending| {
                let mut state = shared.borrow_mut();
                let before = state.model.doc_mut().heads();
                // Another tab may have appended changes this one has not seen: fold them in.
                for bytes in pending {
                    let _ = state.model.doc_mut().apply(&bytes);
                }
                covered = state.model.doc_mut().heads();
                changed = covered != before;
                state.model.doc_mut().save()
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

/// Every document this device holds, plus what the app knows about its storage.
#[derive(Clone, Copy)]
pub struct Repo {
    pub journal: JournalBook,
    pub profile: DocHandle<Profile>,
    /// Set when storage could not be opened at all.
    pub storage_error: RwSignal<Option<StorageError>>,
    storage: StoredValue<Option<Storage>, LocalStorage>,
}

impl Repo {
    /// Creates the handles and starts loading every document from the database `db_name`.
    pub fn start(db_name: &'static str) -> Repo {
        let repo = Repo {
            journal: JournalBook::new(),
            profile: DocHandle::new("profile"),
            storage_error: RwSignal::new(None),
            storage: StoredValue::new_local(None),
        };
        spawn_local(async move {
            match Storage::open(db_name).await {
                Ok(storage) => {
                    repo.storage.set_value(Some(storage.clone()));
                    // Each document loads on its own: one that fails leaves the others working.
                    spawn_local(repo.profile.load(storage.clone()));
                    repo.journal.load(storage).await;
                }
                Err(e) => {
                    repo.storage_error.set(Some(e.clone()));
                    repo.journal.fail(&e);
                    repo.profile.set_health(Health::Unreadable { reason: e.to_string() });
                }
            }
        });
        repo
    }

    pub fn storage(&self) -> Option<Storage> {
        self.storage.get_value()
    }

    /// Saves every document's pending edits now (before a reload, or when the page hides).
    pub async fn flush_all(self) {
        self.journal.flush().await;
        self.profile.flush().await;
    }

    /// The save state that matters most across every document: a failure, else pending work,
    /// else saved.
    pub fn save_state(&self) -> SaveState {
        let mut states = self.journal.save_states();
        states.push(self.profile.save_state());
        let failed = states.iter().find(|s| matches!(s, SaveState::Failed(_))).cloned();
        let pending = states.iter().any(|s| *s == SaveState::Pending);
        failed.unwrap_or(if pending { SaveState::Pending } else { SaveState::Saved })
    }
}
