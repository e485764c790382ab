//! One file per page, named after what it shows.

pub mod book;
pub mod canvas;
pub mod canvas_board;
pub mod canvas_boxes;
pub mod coaching;
pub mod cohort;
pub mod devices;
pub mod entry;
pub mod groups;
pub mod home;
pub mod join;
pub mod journal;
pub mod more;
pub mod not_found;
pub mod profile;
pub mod settings;
pub mod showcase;
pub mod welcome;

pub use self::{
    book::BookPage,
    canvas::{CanvasPage, ExperimentPage},
    coaching::{CoacheePage, CoacheesPage, CoachingPage},
    cohort::CohortPage,
    entry::EntryPage,
    groups::{GroupPage, GroupsPage},
    home::HomePage,
    join::JoinPage,
    journal::{JournalPage, ListAddress},
    more::MorePage,
    not_found::NotFound,
    profile::ProfilePage,
    settings::SettingsPage,
    showcase::ShowcasePage,
};
