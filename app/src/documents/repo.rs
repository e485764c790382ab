//! Every document this device holds, the account they belong to, and what the app knows about
//! its storage.

use std::{collections::HashMap, rc::Rc};

use amplify::{DocId, Group, Keyring, PayloadKind, PersonId, SpaceId};
use leptos::{prelude::*, task::spawn_local};

use super::{
    engine,
    handle::DocHandle,
    health::{Health, SaveState},
    hook::{SharedHook, SyncHook},
    journal_book::JournalBook,
    target::{Kept, Target},
};
use crate::{
    account::Account,
    platform::{self, warn},
    storage::{Lost, Storage, StorageError},
};

/// Every document this device holds, the account they belong to, and what the app knows
/// about its storage. `Copy`; provided as context.
#[derive(Clone, Copy)]
pub struct Repo {
    pub journal: JournalBook,
    pub profile: DocHandle<amplify::Profile>,
    /// Every other document, by id.
    docs: RwSignal<Vec<(DocId, Target)>>,
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
            profile: DocHandle::new(DocId::Profile).attach(&hook),
            docs: RwSignal::new(Vec::new()),
            storage_error: RwSignal::new(None),
            loaded: RwSignal::new(false),
            storage: StoredValue::new_local(None),
            account: StoredValue::new_local(None),
            account_version: RwSignal::new(0),
            hook: StoredValue::new_local(hook),
            owner: StoredValue::new_local(Owner::current().unwrap_or_default()),
        };
        // Automerge is fetched while storage opens (see `engine`).
        spawn_local(engine::ready());
        spawn_local(async move {
            let storage = match Storage::open(db_name).await {
                Ok(storage) => storage,
                Err(e) => return repo.fail(e),
            };
            let account = match Account::load_or_create(&storage).await {
                Ok(account) => account,
                Err(e) => return repo.fail(e),
            };
            // Who this is decides which pages they see: the journal can be drawn from here on.
            repo.account.set_value(Some(account));
            repo.account_version.update(|v| *v += 1);
            // Documents that lost a record on an earlier start and have not been restored yet.
            let mut lost: HashMap<String, Lost> = match storage.to_recover().await {
                Ok(lost) => lost.into_iter().collect(),
                Err(e) => {
                    warn(&format!("could not read which documents wait for the relay: {e}"));
                    HashMap::new()
                }
            };
            repo.journal.show_kept(&storage, &lost).await;
            // Nothing is read or written before automerge is here: storage is the repo's (and
            // with it, writing) only from now on.
            engine::ready().await;
            repo.storage.set_value(Some(storage.clone()));
            // From now on every save is sealed into the outbox, even before sync starts: an
            // edit made while the rest of the device loads must reach the relay too.
            *repo.hook().borrow_mut() = Some(repo.sealing_hook(|| {}));
            // Each document loads on its own: one that fails leaves the others working.
            repo.profile.load(storage.clone(), lost.remove(&DocId::Profile.to_string())).await;
            repo.journal.load(storage.clone(), &mut lost).await;
            // Entries started while the journal opened, or before a reload that came first.
            repo.journal.fold_drafts();
            let stored = storage.doc_ids().await.unwrap_or_else(|e| {
                warn(&format!("could not list the documents on this device: {e}"));
                Vec::new()
            });
            for key in stored {
                match key.parse::<DocId>() {
                    Ok(DocId::Profile | DocId::Journal(_)) => {}
                    Ok(id) => {
                        let target = repo.create(id, false);
                        target.load(storage.clone(), lost.remove(&key)).await;
                    }
                    Err(e) => warn(&format!("left alone on this device: {e}")),
                }
            }
            // A page may have asked for a document this device has not stored yet before
            // storage was the repo's (a reload while the cohort was still arriving): its handle
            // waits for a load no stored record brings. It starts empty now, with storage,
            // keeping whatever reached it meanwhile; left waiting, it would take the relay's
            // changes into memory alone and never keep them.
            let waiting: Vec<(DocId, Target)> = repo.docs.with_untracked(|docs| {
                docs.iter().filter(|(_, target)| target.health() == Health::Loading).copied().collect()
            });
            for (id, target) in waiting {
                target.load(storage.clone(), lost.remove(&id.to_string())).await;
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

    /// Storage once the repo writes it: a moment after the account reads, when automerge has
    /// arrived. An action started in between (a button tapped as the page opens) waits for it
    /// instead of failing; only storage that could not be opened at all is an error.
    pub async fn writable_storage(&self) -> Result<Storage, StorageError> {
        loop {
            if let Some(storage) = self.storage() {
                return Ok(storage);
            }
            if let Some(e) = self.storage_error.get_untracked() {
                return Err(e);
            }
            engine::ready().await;
            // The start sets storage as soon as the engine is in; let it run first.
            platform::sleep(std::time::Duration::from_millis(10)).await;
        }
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
        let storage = self.writable_storage().await?;
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
    pub fn person(&self) -> Option<PersonId> {
        self.with_account(|a| a.map(|a| a.personal().id()))
    }

    /// The shared hook every handle saves through.
    pub fn hook(&self) -> SharedHook {
        self.hook.get_value()
    }

    /// A hook that seals every save with this device's account, and calls `notify` once one is
    /// queued (sync installs its own `notify` when it starts).
    pub fn sealing_hook(&self, notify: impl Fn() + 'static) -> SyncHook {
        let repo = *self;
        SyncHook {
            seal: Rc::new(move |doc, bytes| {
                repo.account_untracked(|a| a?.seal(doc, bytes, PayloadKind::Changes, 0))
            }),
            notify: Rc::new(notify),
        }
    }

    /// The document `id`, if this device may hold it (a shared space it is not in: `None`).
    /// Journal volumes and the profile have their own fields; every other kind is made on
    /// first use.
    pub fn target(&self, id: DocId) -> Option<Target> {
        match id {
            DocId::Profile => return Some(Target::Profile(self.profile)),
            DocId::Journal(month) => return self.journal.volume(month).map(Target::Journal),
            _ => {}
        }
        if let Some(space) = id.space() {
            let member = self.account.with_value(|a| a.as_ref().is_some_and(|a| a.space(space).is_some()));
            if !member {
                return None;
            }
        }
        Some(self.create(id, true))
    }

    /// The handle for `id` with its model, if this device may hold it: the one generic way from
    /// a document's id to its handle.
    pub fn handle<M: Kept>(&self, id: DocId) -> Option<DocHandle<M>> {
        self.target(id).and_then(M::from_target)
    }

    /// Every document of model `M` this device holds in `space`, by id, reactively.
    pub fn handles_in<M: Kept>(&self, space: SpaceId) -> Vec<(DocId, DocHandle<M>)> {
        self.docs.with(|docs| {
            docs.iter()
                .filter(|(id, _)| id.kind() == M::KIND && id.space() == Some(space))
                .filter_map(|(id, t)| Some((*id, M::from_target(*t)?)))
                .collect()
        })
    }

    /// The handle for `id`, made if it does not exist yet: empty and ready if `fresh`, or to be
    /// loaded from storage.
    fn create(&self, id: DocId, fresh: bool) -> Target {
        if let Some((_, target)) =
            self.docs.with_untracked(|docs| docs.iter().find(|(d, _)| *d == id).copied())
        {
            return target;
        }
        let storage = self.storage().filter(|_| fresh);
        let target = self.owner.with_value(|owner| owner.with(|| Target::make(id, storage.as_ref())));
        target.attach(&self.hook());
        self.docs.update(|docs| docs.push((id, target)));
        target
    }

    /// The spaces this person belongs to, shared by all their devices (see `actions::keyring`).
    pub fn keyring(&self) -> Option<DocHandle<Keyring>> {
        self.handle(DocId::Keyring)
    }

    /// Home groups this device is in, with their documents.
    pub fn groups(&self) -> Vec<(SpaceId, DocHandle<Group>)> {
        self.docs.with(|docs| {
            docs.iter()
                .filter_map(|(id, t)| match (id, t) {
                    (DocId::Group(space), Target::Group(h)) => Some((*space, *h)),
                    _ => None,
                })
                .collect()
        })
    }

    /// Documents that are not whole on this device (a record could not be read, now or on an
    /// earlier start): sync fetches them again from the start, to recover what was lost.
    pub fn damaged_docs(&self) -> Vec<Target> {
        self.all_untracked().into_iter().filter(|t| t.awaiting_relay()).collect()
    }

    /// Every document this device keeps, without subscribing.
    fn all_untracked(&self) -> Vec<Target> {
        let mut all: Vec<Target> =
            self.journal.volumes_untracked().into_iter().map(|v| Target::Journal(v.handle)).collect();
        all.push(Target::Profile(self.profile));
        all.extend(self.docs.get_untracked().into_iter().map(|(_, t)| t));
        all
    }

    /// Every document this device keeps in `space` (the person's own space included).
    pub fn targets_in(&self, space: SpaceId) -> Vec<Target> {
        let account = self.account.get_value();
        self.all_untracked()
            .into_iter()
            .filter(|t| {
                account.as_ref().and_then(|a| a.space_for_doc(t.id())).is_some_and(|s| s.id() == space)
            })
            .collect()
    }

    /// Keeps every document's unsaved edits in localStorage, synchronously, for a page that
    /// may be gone before [`Repo::flush_all`]'s writes commit (see `Core::rescue`).
    pub fn rescue_all(self) {
        self.journal.rescue();
        self.profile.core.rescue();
        for (_, target) in self.docs.get_untracked() {
            target.rescue();
        }
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
