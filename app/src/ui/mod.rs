//! The UI kit the pages share: status lines, fields bound to documents, health alerts, invite
//! panels, notices, the words for states, and the service worker's update (`update`).

pub mod fields;
pub mod health;
pub mod invite;
pub mod members;
pub mod notice;
pub mod status;
pub mod update;
pub mod words;

pub use self::{
    fields::{SyncedInput, SyncedText},
    health::{EngineAlert, HealthAlert, JournalAlerts},
    invite::{InvitePanel, Qr},
    members::Membership,
    notice::{NoticeBar, Notices},
    status::{SaveStatus, StorageProblem, SyncBadge, SyncProblem, UpdateBanner},
    update::Update,
    words::doc_name,
};
