//! The documents this device holds, as handles the UI reads and edits. A handle owns loading,
//! saving (incremental, debounced, retried) and compaction; the UI never sees bytes or storage.

use std::{cell::RefCell, collections::HashMap, marker::PhantomData, rc::Rc, time::Duration};

use amplify::{
    Canvas, ChangeHash, Coaching, Cohort, DocError, EntryId, Group, Journal, Keyring, Model, Notes,
    PayloadKind, Profile, SharedEntry, Showcase, SpaceId, volume_month,
};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    account::{Account, doc_space, group_doc_id},
    journal_book::JournalBook,
    storage::{Lost, Outgoing, Storage, StorageError, Stored},
};

/// Whether a document could be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Loading,
    Ready,
    /// Opened, but part of it is not on this device: a saved record could not be read and was
    /// set aside, and edits saved after it may be waiting for it. The relay's copy brings it
    /// back; until then the person can keep writing.
    Damaged {
        /// What went wrong, for the report in Settings (never shown in an alert).
        reason: String,
        recovery: Recovery,
    },
    /// Could not be opened at all; its bytes were set aside. Writing starts a new document.
    Unreadable {
        reason: String,
        recovery: Recovery,
    },
}

/// Whether the relay has been asked for what a damaged document lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Not yet: it comes back once this device is online and caught up.
    Waiting,
    /// The relay sent everything it holds, and some of what was lost was not there.
    NotOnRelay,
}

impl Health {
    pub(crate) fn unreadable(reason: impl Into<String>) -> Health {
        Health::Unreadable { reason: reason.into(), recovery: Recovery::Waiting }
    }
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

/// The id of the person's keyring document, in their own space.
const KEYRING: &str = "keyring";
/// A document is compacted into one snapshot after this many appended changes, or after this
/// many bytes of them: changes load several times slower than a snapshot of the same content.
const COMPACT_AFTER: u32 = 64;
const COMPACT_AFTER_BYTES: usize = 16 * 1024;

/// What a document needs from sync: to seal a local save for the relay, and to say the outbox
/// has something new. Shared by every handle of a [`Repo`]; set as soon as the account is read
/// (before any document loads, so no save can miss the outbox), and told to notify sync once
/// it starts.
#[derive(Clone)]
pub struct SyncHook {
    pub seal: Rc<dyn Fn(&str, &[u8]) -> Option<Outgoing>>,
    pub notify: Rc<dyn Fn()>,
}

impl SyncHook {
    /// Seals saves with `repo`'s account and calls `notify` once one is queued.
    pub fn new(repo: Repo, notify: impl Fn() + 'static) -> SyncHook {
        SyncHook {
            seal: Rc::new(move |doc, bytes| {
                repo.account_untracked(|a| a?.seal(doc, bytes, PayloadKind::Changes, 0))
            }),
            notify: Rc::new(notify),
        }
    }
}

pub type SharedHook = Rc<RefCell<Option<SyncHook>>>;

/// Why a change from the relay could not be taken in.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    #[error(transparent)]
    Doc(#[from] DocError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

struct State<M> {
    id: String,
    hook: SharedHook,
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
    /// A record of this document could not be read here (now or on an earlier start), and the
    /// relay has not yet sent everything it holds for it.
    awaiting_relay: bool,
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

    /// Shares `hook` with this handle, so its saves reach the relay.
    pub fn attach(&self, hook: &SharedHook) -> Self {
        self.shared().borrow_mut().hook = hook.clone();
        *self
    }

    pub fn id(&self) -> String {
        self.shared().borrow().id.clone()
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
            Some(storage) => storage.replace(&self.id(), &bytes).await,
            None => Ok(()),
        }
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

    /// Accepts that an unreadable document is gone from this device and starts a new one.
    /// Its old bytes stay set aside.
    pub fn start_fresh(&self) {
        if matches!(self.health.get_untracked(), Health::Unreadable { .. }) {
            self.health.set(Health::Ready);
            self.forget_unreadable();
        }
    }

    fn forget_unreadable(&self) {
        if let Some(storage) = self.shared().borrow().storage.clone() {
            let id = self.id();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = storage.forget_unreadable(&id).await;
            });
        }
    }

    /// Loads the document from `storage`. Damaged records are set aside, never dropped.
    ///
    /// `lost` says a record of this document was set aside on an earlier start and the relay
    /// has not given it back since: the document is still incomplete, even if everything left
    /// on the device now reads cleanly.
    pub async fn load(self, storage: Storage, lost: Option<Lost>) {
        let id = self.id();
        let id = id.as_str();
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
        let (model, damaged) = match whole(&stored).map(|bytes| M::load(&bytes)) {
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
            let _ = state.model.doc_mut().merge(early.doc_mut());
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

    /// The relay has sent everything it holds for this document, from the start of its log
    /// (this device asked for all of it because the document was damaged here). If nothing is
    /// missing any more the document is whole again and its marks are cleared; otherwise its
    /// health says the relay did not have what was lost.
    pub async fn relay_sent_everything(self) {
        let (missing, storage, id) = {
            let shared = self.shared();
            let mut state = shared.borrow_mut();
            let missing = !state.model.doc_mut().missing_deps().is_empty();
            (missing, state.storage.clone(), state.id.clone())
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
                    log(&format!("could not clear the recovery mark of {id}: {e}"));
                }
                Health::Ready
            }
        };
        self.health.set(health);
    }

    /// Whether this document lost something on this device that the relay may still hold.
    pub fn awaiting_relay(&self) -> bool {
        self.shared().borrow().awaiting_relay
    }

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
            (state.storage.clone(), state.id.clone(), clean, after != before)
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
        if !clean {
            // Local edits could not be saved (a full disk): save everything together later.
            self.schedule_save(SAVE_DELAY);
            return Ok(());
        }
        if let Some(storage) = storage {
            if kind == PayloadKind::Snapshot {
                // Keep it as this device's snapshot too (a whole document is no change record).
                self.compact(&shared, &storage).await?;
            } else {
                storage.append(&id, bytes, None).await?;
                shared.borrow_mut().appended += bytes.len();
            }
        }
        Ok(())
    }

    /// The whole document, for a snapshot or for re-sending it under another space.
    pub fn save_whole(&self) -> Vec<u8> {
        self.shared().borrow_mut().model.doc_mut().save()
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
                    log(&format!("could not set a damaged record of {id} aside: {store}"));
                }
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

    fn schedule_save(&self, delay: Duration) {
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
        let (id, storage, bytes, heads, hook) = {
            let mut state = shared.borrow_mut();
            let Some(storage) = state.storage.clone() else {
                return Ok(());
            };
            let persisted = state.persisted.clone();
            let bytes = state.model.doc_mut().save_after(&persisted);
            let heads = state.model.doc_mut().heads();
            let hook = state.hook.borrow().clone();
            (state.id.clone(), storage, bytes, heads, hook)
        };
        if bytes.is_empty() {
            return Ok(());
        }
        // The sealed copy for the relay goes into the outbox in the same transaction.
        let outgoing = hook.as_ref().and_then(|h| (h.seal)(&id, &bytes));
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
}

/// Writes `message` to the browser's console: for failures nobody can act on at that moment.
pub(crate) fn log(message: &str) {
    web_sys::console::warn_1(&message.into());
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

/// Any document this device keeps, by model. What remote changes are routed to.
#[derive(Clone, Copy, PartialEq)]
pub enum Target {
    Journal(DocHandle<Journal>),
    Profile(DocHandle<Profile>),
    Group(DocHandle<Group>),
    Canvas(DocHandle<Canvas>),
    Cohort(DocHandle<Cohort>),
    Coaching(DocHandle<Coaching>),
    Shared(DocHandle<SharedEntry>),
    Showcase(DocHandle<Showcase>),
    Notes(DocHandle<Notes>),
    Keyring(DocHandle<Keyring>),
}

/// Calls `$f` on the handle inside a [`Target`], whatever its model.
macro_rules! each_target {
    ($target:expr, $h:ident => $f:expr) => {
        match $target {
            Target::Journal($h) => $f,
            Target::Profile($h) => $f,
            Target::Group($h) => $f,
            Target::Canvas($h) => $f,
            Target::Cohort($h) => $f,
            Target::Coaching($h) => $f,
            Target::Shared($h) => $f,
            Target::Showcase($h) => $f,
            Target::Notes($h) => $f,
            Target::Keyring($h) => $f,
        }
    };
}

impl Target {
    pub async fn apply_remote(self, bytes: &[u8], kind: PayloadKind) -> Result<(), RemoteError> {
        each_target!(self, h => h.apply_remote(bytes, kind).await)?;
        if let Target::Shared(h) = self {
            // An unshared entry leaves this device too (the coach may have read it already).
            if h.with_untracked(|s| s.view().withdrawn) {
                h.replace_with(SharedEntry::withdrawn()).await?;
            }
        }
        Ok(())
    }

    pub fn save_whole(self) -> Vec<u8> {
        each_target!(self, h => h.save_whole())
    }

    pub fn id(self) -> String {
        each_target!(self, h => h.id())
    }

    pub fn health(self) -> Health {
        each_target!(self, h => h.health_untracked())
    }

    pub fn save_state(self) -> SaveState {
        each_target!(self, h => h.save_state())
    }

    pub async fn flush(self) {
        each_target!(self, h => h.flush().await)
    }

    pub async fn relay_sent_everything(self) {
        each_target!(self, h => h.relay_sent_everything().await)
    }

    fn awaiting_relay(self) -> bool {
        each_target!(self, h => h.awaiting_relay())
    }

    async fn load(self, storage: Storage, lost: Option<Lost>) {
        each_target!(self, h => h.load(storage, lost).await)
    }

    fn attach(self, hook: &SharedHook) {
        each_target!(self, h => { h.attach(hook); })
    }
}

/// Every document this device holds, the account they belong to, and what the app knows
/// about its storage. `Copy`; provided as context.
#[derive(Clone, Copy)]
pub struct Repo {
    pub journal: JournalBook,
    pub profile: DocHandle<Profile>,
    /// Every other document, by id (`canvas/<space>/<person>`, `coaching/<space>`…).
    docs: RwSignal<Vec<(String, Target)>>,
    /// Set when storage could not be opened at all.
    pub storage_error: RwSignal<Option<StorageError>>,
    /// True once every document has been read.
    pub loaded: RwSignal<bool>,
    storage: StoredValue<Option<Storage>, LocalStorage>,
    account: StoredValue<Option<Account>, LocalStorage>,
    /// Bumped whenever the account changes (a space joined), for views that list spaces.
    account_version: RwSignal<u64>,
    hook: StoredValue<SharedHook, LocalStorage>,
    owner: StoredValue<Owner, LocalStorage>,
}

impl Repo {
    /// Creates the handles, then loads the account and every document from `db_name`.
    /// `then` runs once everything is loaded (sync starts there).
    pub fn start(db_name: &'static str, then: impl FnOnce(Repo) + 'static) -> Repo {
        let hook = SharedHook::default();
        let repo = Repo {
            journal: JournalBook::new(hook.clone()),
            profile: DocHandle::new("profile").attach(&hook),
            docs: RwSignal::new(Vec::new()),
            storage_error: RwSignal::new(None),
            loaded: RwSignal::new(false),
            storage: StoredValue::new_local(None),
            account: StoredValue::new_local(None),
            account_version: RwSignal::new(0),
            hook: StoredValue::new_local(hook),
            owner: StoredValue::new_local(Owner::current().unwrap_or_default()),
        };
        spawn_local(async move {
            let storage = match Storage::open(db_name).await {
                Ok(storage) => storage,
                Err(e) => return repo.fail(e),
            };
            let account = match Account::load_or_create(&storage).await {
                Ok(account) => account,
                Err(e) => return repo.fail(e),
            };
            repo.storage.set_value(Some(storage.clone()));
            repo.account.set_value(Some(account));
            repo.account_version.update(|v| *v += 1);
            // From now on every save is sealed into the outbox, even before sync starts: an
            // edit made while the rest of the device loads must reach the relay too.
            *repo.hook().borrow_mut() = Some(SyncHook::new(repo, || {}));
            // Documents that lost a record on an earlier start and have not been restored yet.
            let mut lost: HashMap<String, Lost> = match storage.to_recover().await {
                Ok(lost) => lost.into_iter().collect(),
                Err(e) => {
                    log(&format!("could not read which documents wait for the relay: {e}"));
                    HashMap::new()
                }
            };
            // Each document loads on its own: one that fails leaves the others working.
            repo.profile.load(storage.clone(), lost.remove("profile")).await;
            repo.journal.load(storage.clone(), &mut lost).await;
            for id in storage.doc_ids().await.unwrap_or_default() {
                if let Some(target) = repo.create(&id, false) {
                    target.load(storage.clone(), lost.remove(&id)).await;
                }
            }
            repo.loaded.set(true);
            then(repo);
        });
        repo
    }

    fn fail(&self, e: StorageError) {
        self.storage_error.set(Some(e.clone()));
        self.journal.fail(&e);
        self.profile.set_health(Health::unreadable(e.to_string()));
        self.loaded.set(true);
    }

    pub fn storage(&self) -> Option<Storage> {
        self.storage.get_value()
    }

    /// Reads the account (reactively: views re-render when a space is joined).
    pub fn with_account<R>(&self, f: impl FnOnce(Option<&Account>) -> R) -> R {
        self.account_version.track();
        self.account.with_value(|a| f(a.as_ref()))
    }

    /// Reads the account without subscribing to its changes.
    pub fn account_untracked<R>(&self, f: impl FnOnce(Option<&Account>) -> R) -> R {
        self.account.with_value(|a| f(a.as_ref()))
    }

    /// Changes the account and keeps it on the device.
    pub async fn update_account<R>(&self, f: impl FnOnce(&mut Account) -> R) -> Result<R, StorageError> {
        let storage = self.storage().ok_or_else(|| StorageError::Unavailable("not open yet".to_owned()))?;
        let (result, account) = self
            .account
            .try_update_value(|a| {
                let account = a.as_mut().expect("the account loads before anything changes it");
                (f(account), account.clone())
            })
            .expect("the repo lives as long as the app");
        account.save(&storage).await?;
        self.account_version.update(|v| *v += 1);
        Ok(result)
    }

    /// The person's id (their own space's id), once the account is loaded.
    pub fn person(&self) -> Option<String> {
        self.with_account(|a| a.map(Account::person))
    }

    /// The shared hook every handle saves through (sync fills it in).
    pub fn hook(&self) -> SharedHook {
        self.hook.get_value()
    }

    /// The document stored (or to be stored) as `id`, if this device may hold it. Journal
    /// volumes and the profile have their own fields; every other kind is made on first use.
    pub fn target(&self, id: &str) -> Option<Target> {
        if id == "profile" {
            return Some(Target::Profile(self.profile));
        }
        if let Some(month) = volume_month(id) {
            return self.journal.volume(month).map(Target::Journal);
        }
        if let Some(space) = doc_space(id) {
            let member = self.account.with_value(|a| a.as_ref().is_some_and(|a| a.space(space).is_some()));
            if !member {
                return None;
            }
        }
        self.create(id, true)
    }

    /// The handle for `id`, made if it does not exist yet: empty and ready if `fresh`, or to be
    /// loaded from storage.
    fn create(&self, id: &str, fresh: bool) -> Option<Target> {
        if let Some((_, target)) =
            self.docs.with_untracked(|docs| docs.iter().find(|(d, _)| d == id).cloned())
        {
            return Some(target);
        }
        let storage = self.storage();
        let make = |id: &str| -> Option<Target> {
            macro_rules! handle {
                ($variant:ident, $model:ty) => {{
                    let handle: DocHandle<$model> = match (&storage, fresh) {
                        (Some(storage), true) => DocHandle::new_empty(id, storage.clone()),
                        _ => DocHandle::new(id),
                    };
                    Target::$variant(handle)
                }};
            }
            let kind = id.split('/').next()?;
            Some(match kind {
                "group" => handle!(Group, Group),
                "canvas" => handle!(Canvas, Canvas),
                "cohort" => handle!(Cohort, Cohort),
                "person" => handle!(Profile, Profile),
                "story" => handle!(Showcase, Showcase),
                "coaching" => handle!(Coaching, Coaching),
                "shared" => handle!(Shared, SharedEntry),
                "coachnotes" => handle!(Notes, Notes),
                "keyring" => handle!(Keyring, Keyring),
                _ => return None,
            })
        };
        let target = self.owner.with_value(|owner| owner.with(|| make(id)))?;
        target.attach(&self.hook());
        self.docs.update(|docs| docs.push((id.to_owned(), target)));
        Some(target)
    }

    /// Every document whose id starts with `prefix` (`story/<cohort>/`), reactively.
    pub fn docs_with_prefix(&self, prefix: &str) -> Vec<(String, Target)> {
        self.docs.with(|docs| docs.iter().filter(|(id, _)| id.starts_with(prefix)).cloned().collect())
    }

    /// Typed access to a document of this device, created if allowed and missing.
    pub fn canvas(&self, space: SpaceId, person: &str) -> Option<DocHandle<Canvas>> {
        match self.target(&format!("canvas/{space}/{person}"))? {
            Target::Canvas(h) => Some(h),
            _ => None,
        }
    }

    pub fn group(&self, space: SpaceId) -> DocHandle<Group> {
        match self.target(&group_doc_id(space)) {
            Some(Target::Group(h)) => h,
            _ => DocHandle::new(group_doc_id(space)),
        }
    }

    pub fn cohort_doc(&self, space: SpaceId) -> Option<DocHandle<Cohort>> {
        match self.target(&format!("cohort/{space}"))? {
            Target::Cohort(h) => Some(h),
            _ => None,
        }
    }

    pub fn coaching(&self, space: SpaceId) -> Option<DocHandle<Coaching>> {
        match self.target(&format!("coaching/{space}"))? {
            Target::Coaching(h) => Some(h),
            _ => None,
        }
    }

    pub fn person_card(&self, cohort: SpaceId, person: &str) -> Option<DocHandle<Profile>> {
        match self.target(&format!("person/{cohort}/{person}"))? {
            Target::Profile(h) => Some(h),
            _ => None,
        }
    }

    pub fn showcase(&self, cohort: SpaceId, person: &str) -> Option<DocHandle<Showcase>> {
        match self.target(&format!("story/{cohort}/{person}"))? {
            Target::Showcase(h) => Some(h),
            _ => None,
        }
    }

    pub fn shared(&self, coaching: SpaceId, entry: &EntryId) -> Option<DocHandle<SharedEntry>> {
        match self.target(&format!("shared/{coaching}/{entry}"))? {
            Target::Shared(h) => Some(h),
            _ => None,
        }
    }

    /// The spaces this person belongs to, shared by all their devices (see `spaces::keyring`).
    pub fn keyring(&self) -> Option<DocHandle<Keyring>> {
        match self.target(KEYRING)? {
            Target::Keyring(h) => Some(h),
            _ => None,
        }
    }

    pub fn coach_notes(&self, coaching: SpaceId) -> Option<DocHandle<Notes>> {
        match self.target(&format!("coachnotes/{coaching}"))? {
            Target::Notes(h) => Some(h),
            _ => None,
        }
    }

    /// Home groups this device is in, with their documents.
    pub fn groups(&self) -> Vec<(SpaceId, DocHandle<Group>)> {
        self.docs_with_prefix("group/")
            .into_iter()
            .filter_map(|(id, t)| match t {
                Target::Group(h) => Some((doc_space(&id)?, h)),
                _ => None,
            })
            .collect()
    }

    /// Documents that are not whole on this device (a record could not be read, now or on an
    /// earlier start): sync fetches them again from the start, to recover what was lost.
    pub fn damaged_docs(&self) -> Vec<Target> {
        let mut all: Vec<Target> =
            self.journal.volumes_untracked().into_iter().map(|v| Target::Journal(v.handle)).collect();
        all.push(Target::Profile(self.profile));
        all.extend(self.docs.get_untracked().into_iter().map(|(_, t)| t));
        all.into_iter().filter(|t| t.awaiting_relay()).collect()
    }

    /// Every document this device keeps in `space`.
    pub fn targets_in(&self, space: SpaceId) -> Vec<Target> {
        let personal = self.account.with_value(|a| a.as_ref().is_some_and(|a| a.personal().id() == space));
        let mut all: Vec<Target> = Vec::new();
        if personal {
            all.extend(self.journal.volumes_untracked().into_iter().map(|v| Target::Journal(v.handle)));
            all.push(Target::Profile(self.profile));
        }
        let account = self.account.get_value();
        all.extend(self.docs.get_untracked().into_iter().filter_map(|(id, t)| {
            let belongs =
                account.as_ref().and_then(|a| a.space_for_doc(&id)).is_some_and(|s| s.id() == space);
            belongs.then_some(t)
        }));
        all
    }

    /// Saves every document's pending edits now (before a reload, or when the page hides).
    ///
    /// Every save starts at once, in the same turn: a page being unloaded runs no more than
    /// that, so saving one document after another would leave the later ones unsaved.
    pub async fn flush_all(self) {
        let docs = self.docs.get_untracked();
        let others = futures_util::future::join_all(docs.into_iter().map(|(_, target)| target.flush()));
        futures_util::future::join3(self.journal.flush(), self.profile.flush(), others).await;
    }

    /// The save state that matters most across every document: a failure, else pending work,
    /// else saved.
    pub fn save_state(&self) -> SaveState {
        let mut states = self.journal.save_states();
        states.push(self.profile.save_state());
        states.extend(self.docs.get().iter().map(|(_, t)| t.save_state()));
        let failed = states.iter().find(|s| matches!(s, SaveState::Failed(_))).cloned();
        let pending = states.contains(&SaveState::Pending);
        failed.unwrap_or(if pending { SaveState::Pending } else { SaveState::Saved })
    }
}
