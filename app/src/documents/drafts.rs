//! Entries started before the journal could be written: while automerge is still on its way
//! (see `engine`) or this month's volume is still being read, "New entry" starts a draft, kept
//! in localStorage with every keystroke, and [`JournalBook::fold_drafts`] writes it into the
//! journal as an entry with the same id once it can. A page hidden or closed meanwhile loses
//! nothing: the next start folds the draft in.
//!
//! [`JournalBook::fold_drafts`]: super::JournalBook::fold_drafts

use std::cell::{Cell, RefCell};

use amplify::{EntryId, Moment};
use gloo_storage::{LocalStorage, Storage as _};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::platform;

/// The ids of the drafts kept.
const INDEX: &str = "amplify.drafts";
/// Where a draft is kept: this prefix, then its entry's id.
const DRAFT: &str = "amplify.draft.";

/// An entry not yet in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub written: Moment,
    pub prompt: Option<String>,
    pub body: String,
}

thread_local! {
    /// Bumped when a draft starts or leaves, for views asking whether one is kept. Reference
    /// counted: an arena signal would belong to whichever page first asked, and go with it.
    static CHANGED: ArcRwSignal<u64> = ArcRwSignal::new(0);
    /// This page's drafts, as last typed: what is folded in, whether or not localStorage (full,
    /// or refused) took the last copy.
    static HERE: RefCell<Vec<(EntryId, Draft)>> = const { RefCell::new(Vec::new()) };
    /// Where the caret was in a draft's text box as the draft became an entry.
    static CARET: Cell<Option<(EntryId, u32, u32)>> = const { Cell::new(None) };
}

fn ids() -> Vec<String> {
    platform::remembered(INDEX).unwrap_or_default()
}

fn changed() {
    CHANGED.with(|c| c.update(|n| *n += 1));
}

/// Starts a draft written at `written`, optionally answering `prompt`: the id its entry will have.
pub fn start(written: Moment, prompt: Option<&str>) -> EntryId {
    let id = EntryId::random();
    keep(id, &Draft { written, prompt: prompt.map(str::to_owned), body: String::new() });
    let mut ids = ids();
    ids.push(id.to_string());
    platform::remember(INDEX, &ids);
    changed();
    id
}

/// The draft for entry `id`, if one is kept (reactive: a view asking re-renders when drafts
/// start or leave, not as they are typed in).
pub fn get(id: &EntryId) -> Option<Draft> {
    CHANGED.with(|c| c.track());
    let here = HERE.with_borrow(|here| here.iter().find(|(d, _)| d == id).map(|(_, draft)| draft.clone()));
    here.or_else(|| platform::remembered(&format!("{DRAFT}{id}")))
}

/// Keeps `draft` as entry `id`'s: for this page at once, and in localStorage for a reload.
/// `false` if localStorage refused it (full): the words are safe only while the page is open.
pub fn keep(id: EntryId, draft: &Draft) -> bool {
    HERE.with_borrow_mut(|here| match here.iter_mut().find(|(d, _)| *d == id) {
        Some((_, kept)) => kept.clone_from(draft),
        None => here.push((id, draft.clone())),
    });
    match LocalStorage::set(format!("{DRAFT}{id}"), draft) {
        Ok(()) => true,
        Err(e) => {
            platform::warn(&format!("could not keep a draft on this device: {e}"));
            false
        }
    }
}

/// Every draft, oldest first: this page's as last typed, and those an earlier page kept.
pub(crate) fn all() -> Vec<(EntryId, Draft)> {
    let mut all: Vec<(EntryId, Draft)> = ids()
        .iter()
        .filter_map(|id| Some((EntryId::parse(id)?, platform::remembered(&format!("{DRAFT}{id}"))?)))
        .collect();
    HERE.with_borrow(|here| {
        for (id, draft) in here {
            match all.iter_mut().find(|(d, _)| d == id) {
                Some((_, stored)) => stored.clone_from(draft),
                None => all.push((*id, draft.clone())),
            }
        }
    });
    all
}

/// Forgets the draft for `id` (it is an entry now, or was left empty).
pub fn discard(id: &EntryId) {
    HERE.with_borrow_mut(|here| here.retain(|(d, _)| d != id));
    platform::forget_remembered(&format!("{DRAFT}{id}"));
    let id = id.to_string();
    platform::remember(INDEX, &ids().into_iter().filter(|i| *i != id).collect::<Vec<_>>());
    changed();
}

/// Notes where the caret was in draft `id`'s text box, for the entry's editor to put it back.
pub fn hand_over_caret(id: EntryId, start: u32, end: u32) {
    CARET.with(|c| c.set(Some((id, start, end))));
}

/// Whether [`hand_over_caret`] noted a caret for draft `id`.
pub fn has_caret(id: &EntryId) -> bool {
    CARET.with(|c| c.get().is_some_and(|(draft, _, _)| draft == *id))
}

/// Where the caret was in draft `id`'s text box as it became an entry, if it was in it.
pub fn take_caret(id: &EntryId) -> Option<(u32, u32)> {
    CARET.with(|c| match c.take() {
        Some((draft, start, end)) if draft == *id => Some((start, end)),
        _ => None,
    })
}
