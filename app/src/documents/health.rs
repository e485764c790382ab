//! Whether a document could be opened, and whether its latest edits are saved.

use crate::storage::StorageError;

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

    /// Whether the document can be written to now (a damaged one can: what is missing merges
    /// back in when it comes).
    pub fn writable(&self) -> bool {
        matches!(self, Health::Ready | Health::Damaged { .. })
    }
}

/// Whether the latest edits are on the device's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    Saved,
    Pending,
    Failed(StorageError),
}
