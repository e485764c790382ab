//! One file per page, named after what it shows.

pub mod book;
pub mod canvas;
pub mod coaching;
pub mod cohort;
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

pub use self::{
    book::Book,
    canvas::{CanvasPage, Experiment},
    coaching::{Coachee, Coachees, Coaching},
    cohort::CohortPage,
    entry::Entry,
    groups::{GroupPage, Groups},
    home::Home,
    join::Join,
    journal::Journal,
    more::More,
    not_found::NotFound,
    profile::Profile,
    settings::Settings,
    showcase::Showcase,
};
