//! The documents layer: every document this device holds, as handles the UI reads and edits.
//! A handle owns loading (`load`), saving (`handle`), changes from the relay (`remote`) and its
//! health; `target` names any document whatever its model; `repo` holds them all with the
//! account; `journal_book` is the journal as monthly volumes; `marks` what this person has seen.

pub mod drafts;
pub mod engine;
mod handle;
mod health;
mod hook;
mod journal_book;
pub mod journal_view;
mod load;
mod marks;
mod queries;
mod remote;
mod repo;
mod target;

pub use self::{
    handle::DocHandle,
    health::{Health, Recovery, SaveState},
    hook::{Seal, SharedHook, SyncHook},
    journal_book::{JournalBook, Listing, Volume},
    marks::{ReadMarks, mark_seen, seen_heads},
    queries::BookPerson,
    remote::RemoteError,
    repo::Repo,
    target::{Kept, Target},
};
