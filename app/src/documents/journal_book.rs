//! The journal on this device: one document per month (a volume), newest first.
//!
//! Splitting by month keeps every document small however long someone journals: opening the
//! app loads this month first and older months one at a time after it, letting the page respond
//! in between; a month nobody writes in any more is never rewritten.

use std::{
    collections::{BTreeMap, HashMap},
    time::Duration,
};

use amplify::{Day, DocId, Entry, EntryId, Journal, Moment, Month, Query, tag_counts};
use leptos::prelude::*;

use super::{
    drafts,
    handle::DocHandle,
    health::{Health, SaveState},
    hook::SharedHook,
    journal_view,
};
use crate::{
    platform,
    storage::{Lost, Storage, StorageError},
};

/// The first entries of a list, by day, and how many match in all (see [`JournalBook::listing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub days: Vec<Day>,
    pub total: usize,
}

/// One month of the journal.
#[derive(Clone, Copy)]
pub struct Volume {
    pub month: Month,
    pub handle: DocHandle<Journal>,
    /// Its live entries, newest first, read out of the document again only when it changes:
    /// a search or a redraw of the list does not read every entry of every month.
    entries: Memo<Vec<Entry>>,
    /// The list kept from the last start (see `journal_view`), shown until the document is open.
    preview: RwSignal<Option<Vec<Entry>>>,
    /// The document's version when its list was last kept.
    kept: StoredValue<u64>,
}

impl Volume {
    /// Call under the book's owner (see [`JournalBook::owned`]).
    fn new(month: Month, handle: DocHandle<Journal>) -> Volume {
        let preview = RwSignal::new(None::<Vec<Entry>>);
        let entries = Memo::new(move |_| match preview.get() {
            Some(entries) => entries,
            None => handle.with(Journal::entries),
        });
        Volume { month, handle, entries, preview, kept: StoredValue::new(0) }
    }

    /// Keeps this month's list for the next start, if it changed since it was last kept.
    async fn keep_view(self, storage: &Storage) {
        let version = self.handle.version_untracked();
        if self.kept.get_value() == version || !matches!(self.handle.health_untracked(), Health::Ready) {
            return;
        }
        journal_view::keep(storage, &self.handle.id().to_string(), self.handle).await;
        self.kept.set_value(version);
    }
}

/// A participant's journal: its volumes, newest first. `Copy`, like a document handle.
#[derive(Clone, Copy)]
pub struct JournalBook {
    volumes: RwSignal<Vec<Volume>>,
    /// True until every stored volume has been read.
    loading: RwSignal<bool>,
    /// From the moment the kept list is shown until the journal can be written: "New entry"
    /// starts a draft meanwhile (see `drafts`).
    drafting: RwSignal<bool>,
    storage: StoredValue<Option<Storage>, LocalStorage>,
    hook: StoredValue<SharedHook, LocalStorage>,
    /// The reactive owner the book was made under. Volumes are created later (a new month, a
    /// first entry) from inside pages; made under the page's owner, they would be disposed
    /// when the page is left.
    owner: StoredValue<Owner, LocalStorage>,
}

impl JournalBook {
    pub fn new(hook: SharedHook) -> JournalBook {
        JournalBook {
            hook: StoredValue::new_local(hook),
            volumes: RwSignal::new(Vec::new()),
            loading: RwSignal::new(true),
            drafting: RwSignal::new(false),
            storage: StoredValue::new_local(None),
            owner: StoredValue::new_local(Owner::current().unwrap_or_default()),
        }
    }

    /// Runs `f` under the book's own reactive owner.
    fn owned<T>(&self, f: impl FnOnce() -> T) -> T {
        self.owner.with_value(|owner| owner.with(f))
    }

    /// Lists the stored volumes and draws the newest from the list kept at the last start
    /// (see `journal_view`), before any document can be read: automerge may still be on its way
    /// (see `engine`). Nothing can be written yet: storage is the book's only from
    /// [`JournalBook::load`]. `lost` names the documents waiting for the relay, whose kept list
    /// would hide that something is missing.
    pub async fn show_kept(self, storage: &Storage, lost: &HashMap<String, Lost>) {
        let months = match stored_months(storage).await {
            Ok(months) => months,
            Err(e) => return self.fail(&e),
        };
        let hook = self.hook.get_value();
        let volumes: Vec<Volume> = self.owned(|| {
            months
                .iter()
                .map(|&month| Volume::new(month, DocHandle::new(DocId::Journal(month)).attach(&hook)))
                .collect()
        });
        self.volumes.set(volumes.clone());
        self.drafting.set(true);
        // Nothing stored (a new device): the journal is empty, and says so at once.
        if volumes.is_empty() {
            self.loading.set(false);
        }
        if let Some(newest) = volumes.first() {
            let key = newest.handle.id().to_string();
            if !lost.contains_key(&key) {
                newest.preview.set(journal_view::cached(storage, &key).await);
            }
        }
    }

    /// Reads every stored volume from `storage`, newest first. `lost` names the documents
    /// still waiting for the relay after a record was set aside (see [`DocHandle::load`]); the
    /// volumes' entries are taken out of it.
    pub async fn load(self, storage: Storage, lost: &mut HashMap<String, Lost>) {
        self.storage.set_value(Some(storage.clone()));
        let months = match stored_months(&storage).await {
            Ok(months) => months,
            Err(e) => return self.fail(&e),
        };
        let hook = self.hook.get_value();
        // The volumes [`JournalBook::show_kept`] listed, and any a page started an entry in while
        // the months were being listed (storage is open from the first line above): each is
        // kept, and what is stored for its month is read into it (its edits join the stored
        // document, see `DocHandle::load`).
        let listed = self.volumes.get_untracked();
        let stored: Vec<Volume> = self.owned(|| {
            months
                .iter()
                .map(|&month| match listed.iter().find(|v| v.month == month) {
                    Some(volume) => *volume,
                    None => Volume::new(month, DocHandle::new(DocId::Journal(month)).attach(&hook)),
                })
                .collect()
        });
        let mut all = stored.clone();
        all.extend(listed.iter().filter(|v| !months.contains(&v.month)).copied());
        amplify::sort::by_key(&mut all, |v| std::cmp::Reverse(v.month));
        self.volumes.set(all);
        for volume in stored {
            let key = volume.handle.id().to_string();
            let lost = lost.remove(&key);
            let edited = volume.handle.version_untracked() > 0;
            // The list as it was, drawn while the document is read (not for one that lost
            // something: its list must say so; nor for one already written in: its list is
            // newer). The newest month's may be on screen already.
            let had_view = if volume.preview.with_untracked(Option::is_some) {
                true
            } else {
                let cached = match lost {
                    None if !edited => journal_view::cached(&storage, &key).await,
                    _ => None,
                };
                let had_view = cached.is_some();
                if had_view {
                    volume.preview.set(cached);
                    platform::after_paint().await;
                }
                had_view
            };
            volume.handle.load(storage.clone(), lost).await;
            volume.preview.set(None);
            if had_view {
                volume.kept.set_value(volume.handle.version_untracked());
            } else {
                volume.keep_view(&storage).await;
            }
            // Let the page paint and respond before the next, older month.
            platform::sleep(Duration::ZERO).await;
        }
        self.loading.set(false);
        // Drafts are folded in by the caller now, with nothing in between (see `Repo::start`).
        self.drafting.set(false);
        platform::mark("journal-all-months");
    }

    /// Storage could not be opened: nothing can be read or written.
    pub(crate) fn fail(&self, error: &StorageError) {
        let month = platform::now().local_date().month();
        let volume = self.owned(|| Volume::new(month, DocHandle::new(DocId::Journal(month))));
        volume.handle.set_health(Health::unreadable(error.to_string()));
        self.volumes.set(vec![volume]);
        self.loading.set(false);
        self.drafting.set(false);
    }

    /// Whether older months are still being read.
    pub fn is_loading(&self) -> bool {
        self.loading.get()
    }

    pub fn volumes(&self) -> Vec<Volume> {
        self.volumes.get()
    }

    /// Entries matching `query`, grouped by day, newest first, across every loaded volume, or
    /// only `month`'s.
    pub fn days(&self, query: &Query, month: Option<Month>) -> Vec<Day> {
        self.listing(query, month, usize::MAX).days
    }

    /// Like [`JournalBook::days`], with only the newest `limit` entries taken out (what a list
    /// shows) and the number of all that match: a list of a few dozen cards costs the same in a
    /// journal of a thousand entries as in one of fifty.
    pub fn listing(&self, query: &Query, month: Option<Month>, limit: usize) -> Listing {
        // Volumes are in month order and a day never spans two months, so concatenating each
        // volume's entries keeps them in order.
        self.volumes.with(|volumes| {
            let (mut found, mut total) = (Vec::new(), 0);
            for volume in volumes.iter().filter(|v| month.is_none_or(|m| m == v.month)) {
                volume.entries.with(|entries| {
                    for entry in entries.iter().filter(|e| e.matches(query)) {
                        if total < limit {
                            found.push(entry.clone());
                        }
                        total += 1;
                    }
                });
            }
            Listing { days: Day::group(found), total }
        })
    }

    /// The days of `month` something was written on (reactive), without taking entries out.
    pub fn days_written(&self, month: Month) -> Vec<u8> {
        self.volumes.with(|volumes| {
            volumes
                .iter()
                .filter(|v| v.month == month)
                .flat_map(|v| {
                    v.entries.with(|entries| {
                        entries.iter().map(|e| e.written.local_date().day).collect::<Vec<_>>()
                    })
                })
                .collect()
        })
    }

    /// The months with entries, newest first, and how many each has (reactive).
    pub fn months(&self) -> Vec<(Month, usize)> {
        self.volumes.with(|volumes| {
            volumes
                .iter()
                .map(|v| (v.month, v.entries.with(Vec::len)))
                .filter(|(_, count)| *count > 0)
                .collect()
        })
    }

    /// Every tag in use, with how many entries carry it, most used first.
    pub fn tags(&self) -> Vec<(String, usize)> {
        let mut counts = BTreeMap::<String, usize>::new();
        for volume in self.volumes.get() {
            for (tag, n) in volume.entries.with(|entries| tag_counts(entries)) {
                *counts.entry(tag).or_default() += n;
            }
        }
        let mut tags: Vec<_> = counts.into_iter().collect();
        amplify::sort::by(&mut tags, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        tags
    }

    /// The volume holding entry `id`, if it has loaded.
    pub fn find(&self, id: &EntryId) -> Option<DocHandle<Journal>> {
        self.volumes.get().into_iter().map(|v| v.handle).find(|h| h.with(|j| j.has_entry(id)))
    }

    /// Whether a new entry written now could be saved.
    pub fn can_write(&self) -> bool {
        let month = platform::now().local_date().month();
        match self.volumes.get().iter().find(|v| v.month == month) {
            Some(volume) => volume.handle.health().writable(),
            None => self.storage.with_value(Option::is_some),
        }
    }

    /// The volume for `month`, created (empty) if this device has none yet. `None` until
    /// storage is open.
    pub fn volume(&self, month: Month) -> Option<DocHandle<Journal>> {
        if let Some(volume) = self.volumes.get_untracked().iter().find(|v| v.month == month) {
            return Some(volume.handle);
        }
        let storage = self.storage.get_value()?;
        let hook = self.hook.get_value();
        let handle = self.owned(|| DocHandle::new_empty(DocId::Journal(month), storage)).attach(&hook);
        let volume = self.owned(|| Volume::new(month, handle));
        self.volumes.update(|volumes| {
            volumes.push(volume);
            amplify::sort::by_key(volumes, |v| std::cmp::Reverse(v.month));
        });
        Some(handle)
    }

    /// Starts an entry written at `at`, in the volume of its month (created if new).
    pub fn add_entry(&self, at: Moment, prompt: Option<&str>) -> Option<EntryId> {
        let handle = self.volume(at.local_date().month())?;
        handle.health_untracked().writable().then(|| handle.edit(|j| j.add_entry(at, prompt)))
    }

    /// Whether "New entry" starts a draft (see `drafts`): the journal is still opening (what
    /// was kept is shown, automerge may be on its way) and this month cannot be written yet.
    pub fn drafting(&self) -> bool {
        self.drafting.get() && !self.can_write()
    }

    /// Writes every entry started as a draft into the volume of its month, as an entry with the
    /// draft's id, and forgets the draft; a draft whose volume cannot be written is kept for later.
    pub fn fold_drafts(&self) {
        for (id, draft) in drafts::all() {
            let Some(handle) = self.volume(draft.written.local_date().month()) else { return };
            if !handle.health_untracked().writable() {
                continue;
            }
            if !handle.with_untracked(|j| j.has_entry(&id)) {
                handle.edit(|j| {
                    j.add_entry_as(id, draft.written, draft.prompt.as_deref());
                    j.set_body(&id, &draft.body);
                });
            }
            drafts::discard(&id);
        }
    }

    pub(crate) fn volumes_untracked(&self) -> Vec<Volume> {
        self.volumes.get_untracked()
    }

    pub(crate) fn save_states(&self) -> Vec<SaveState> {
        self.volumes.get().iter().map(|v| v.handle.save_state()).collect()
    }

    /// Keeps every volume's unsaved edits in localStorage at once (see `Core::rescue`).
    pub fn rescue(self) {
        for volume in self.volumes.get_untracked() {
            volume.handle.core.rescue();
        }
    }

    /// Saves every volume's pending edits, then keeps the changed months' lists for the next
    /// start.
    pub async fn flush(self) {
        let volumes = self.volumes.get_untracked();
        futures_util::future::join_all(volumes.iter().map(|v| v.handle.flush())).await;
        if let Some(storage) = self.storage.get_value() {
            for volume in volumes {
                volume.keep_view(&storage).await;
            }
        }
    }
}

/// The months this device holds a volume of, newest first.
async fn stored_months(storage: &Storage) -> Result<Vec<Month>, StorageError> {
    let mut months: Vec<Month> = storage
        .doc_ids()
        .await?
        .iter()
        .filter_map(|id| match id.parse() {
            Ok(DocId::Journal(month)) => Some(month),
            _ => None,
        })
        .collect();
    amplify::sort::by(&mut months, |a, b| b.cmp(a));
    Ok(months)
}
