//! One file per page, named after what it shows.

pub mod entry;
pub mod groups;
pub mod join;
pub mod journal;
pub mod not_found;
pub mod profile;
pub mod settings;

pub use self::{
    entry::Entry,
    groups::{GroupPage, Groups},
    join::Join,
    journal::Journal,
    not_found::NotFound,
    profile::Profile,
    settings::Settings,
};
