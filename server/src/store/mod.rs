//! Where the relay keeps sealed blobs: per document, an append-only log numbered from 1, and
//! optionally a snapshot that covers the log up to some number, after which the covered blobs'
//! bodies are dropped (their hashes stay, so a covered blob is never stored again).
//!
//! Every space belongs to a registration (see `amplify::RegistrationKey`), and every stored
//! byte counts against four quotas: its space's, its registration's, its author device's and
//! the relay's. [`Store`] is what the relay needs; [`SqliteStore`] is the default, one file in
//! the data directory; [`PgStore`] keeps everything in PostgreSQL, for several relay instances
//! behind one address (it also carries their [`Change`]s to each other).

pub mod copy;
mod postgres;
mod sqlite;

use amplify::{DeviceId, DocRef, RegistrationId, SpaceId};
use thiserror::Error;

pub(crate) use self::sqlite::now_ms;
pub use self::{postgres::PgStore, sqlite::SqliteStore};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the space already holds its maximum of {0} documents")]
    TooManyDocuments(u64),
    #[error("the snapshot covers up to {covers}, but the log ends at {last}")]
    SnapshotBeyondLog { covers: u64, last: u64 },
    #[error("the space is not registered on this relay, or its registration was revoked")]
    NotRegistered,
    #[error("no registration with that id, or it was revoked")]
    UnknownRegistration,
    #[error("the {0} has used all its storage")]
    Full(Scope),
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// The database cannot be reached now: nothing was written; try again.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("the store call did not finish: {0}")]
    Interrupted(String),
}

/// Whose storage is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Space,
    Registration,
    Device,
    Relay,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scope::Space => "space",
            Scope::Registration => "registration",
            Scope::Device => "device",
            Scope::Relay => "relay",
        })
    }
}

/// Who may create spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Only spaces registered under a registration the operator issued.
    Registered,
    /// Any space, counted under the open registration (for trying Amplify on one machine).
    Open,
}

/// How many bytes each scope may store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub space: u64,
    pub device: u64,
    pub relay: u64,
    /// The quota of the open registration: spaces admitted openly, or from before registrations.
    pub open_registration: u64,
}

impl Default for Quotas {
    fn default() -> Quotas {
        const MIB: u64 = 1024 * 1024;
        Quotas {
            space: 256 * MIB,
            device: 512 * MIB,
            relay: 50 * 1024 * MIB,
            open_registration: 10 * 1024 * MIB,
        }
    }
}

/// What is stored now in each scope a write counts against, as a store reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub space: u64,
    pub registration: u64,
    /// The registration's own quota (the others are the relay's settings).
    pub registration_quota: u64,
    pub device: u64,
    pub relay: u64,
}

impl Quotas {
    /// Refuses `grow` more bytes if any scope would pass its quota (naming the first that would,
    /// in the order space, registration, device, relay): the one rule both stores apply.
    pub(crate) fn admit(&self, usage: &Usage, grow: u64) -> Result<(), StoreError> {
        let over = |used: u64, quota: u64| grow > 0 && used.saturating_add(grow) > quota;
        let full = [
            (usage.space, self.space, Scope::Space),
            (usage.registration, usage.registration_quota, Scope::Registration),
            (usage.device, self.device, Scope::Device),
            (usage.relay, self.relay, Scope::Relay),
        ];
        match full.into_iter().find(|(used, quota, _)| over(*used, *quota)) {
            Some((_, _, scope)) => Err(StoreError::Full(scope)),
            None => Ok(()),
        }
    }
}

/// How a store is set up.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    pub admission: Admission,
    pub quotas: Quotas,
}

/// The registration that open admission (and every space from before registrations) counts
/// under.
pub const OPEN_REGISTRATION: RegistrationId = RegistrationId([0; 32]);

/// What the relay stores for one document, as catch-up reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Snapshot { doc: DocRef, covers: u64, blob: Vec<u8> },
    Blob { doc: DocRef, seq: u64, blob: Vec<u8> },
}

impl Item {
    /// The bytes of the blob or snapshot.
    pub fn size(&self) -> usize {
        match self {
            Item::Snapshot { blob, .. } | Item::Blob { blob, .. } => blob.len(),
        }
    }
}

/// A document of a space, as catch-up plans it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocInfo {
    pub doc: DocRef,
    /// What the newest snapshot covers (0 for none).
    pub covers: u64,
    /// The last sequence number in its log.
    pub last: u64,
}

/// Totals for the metrics endpoint, kept up to date as blobs are stored (reading them is O(1)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub spaces: u64,
    pub documents: u64,
    /// Blobs not covered by a snapshot.
    pub blobs: u64,
    /// Bytes of blobs and snapshots stored.
    pub bytes: u64,
}

/// One append's answer: its sequence number and whether it is new (see [`Store::append_many`]).
pub type Appended = Result<(u64, bool), StoreError>;

/// One blob to append (see [`Store::append_many`]).
#[derive(Debug, Clone)]
pub struct Append {
    pub space: SpaceId,
    pub doc: DocRef,
    pub author: DeviceId,
    pub hash: [u8; 32],
    pub blob: Vec<u8>,
    /// The most documents the blob's space may hold.
    pub max_docs: u64,
}

/// A snapshot to store (see [`Store::snapshot`]).
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub space: SpaceId,
    pub doc: DocRef,
    pub author: DeviceId,
    pub covers: u64,
    pub blob: Vec<u8>,
}

/// Something another relay instance sharing the store did, for this instance's sessions (see
/// [`Store::changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A blob was stored: followers read it from the store.
    Blob { space: SpaceId, doc: DocRef, seq: u64 },
    /// A governed space's membership changed.
    Members { space: SpaceId },
    /// A space was erased.
    Erased { space: SpaceId },
    /// Presence, never stored: the frame itself (shared with this instance's followers).
    Presence { space: SpaceId, doc: DocRef, frame: std::sync::Arc<Vec<u8>> },
    /// The feed was interrupted: changes may have been missed, read the store again.
    Lost,
}

/// A registration as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: RegistrationId,
    pub label: String,
    pub quota: u64,
    pub bytes: u64,
    pub spaces: u64,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// The relay's storage. Every method is blocking; the relay calls them off the async runtime.
pub trait Store: Send + Sync + 'static {
    /// Appends several blobs in one durable transaction (one fsync for all: group commit). Each
    /// gets its own answer: its sequence number and whether it is new (a blob stored before,
    /// even one a snapshot has covered since, is not stored again).
    ///
    /// # Errors (per item)
    /// [`StoreError::NotRegistered`], [`StoreError::TooManyDocuments`], [`StoreError::Full`].
    fn append_many(&self, items: &[Append]) -> Vec<Appended>;

    /// Housekeeping while no writes are waiting: gives the space freed by snapshots and
    /// erasures back to the file system. Nothing stored changes.
    ///
    /// # Errors
    /// If the store could not do it; it is tried again at the next quiet moment.
    fn maintain(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Stores a snapshot that covers `covers`, and drops the bodies of the blobs it covers. An
    /// older snapshot than the one stored changes nothing.
    ///
    /// # Errors
    /// [`StoreError::SnapshotBeyondLog`] if the log does not reach `covers`; [`StoreError::Full`]
    /// if the snapshot grows what is stored past a quota.
    fn snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let answer = self.snapshot_many(std::slice::from_ref(snapshot)).into_iter().next();
        answer.unwrap_or_else(|| Err(StoreError::Interrupted("the store gave no answer".to_owned())))
    }

    /// Stores several snapshots in one durable transaction, as [`Store::append_many`] does
    /// blobs: each gets its own answer, and one refused rolls back only its own writes.
    ///
    /// # Errors (per item)
    /// As [`Store::snapshot`].
    fn snapshot_many(&self, items: &[Snapshot]) -> Vec<Result<(), StoreError>>;

    /// Registers `space` under `registration`. A space already registered keeps its
    /// registration, unless it is under the open registration: then it moves.
    ///
    /// # Errors
    /// [`StoreError::UnknownRegistration`] if the registration is unknown or revoked.
    fn register(&self, space: SpaceId, registration: RegistrationId) -> Result<(), StoreError>;

    /// Which of `spaces` this relay would store nothing for (not registered, or revoked).
    fn unregistered(&self, spaces: &[SpaceId]) -> Result<Vec<SpaceId>, StoreError>;

    /// The documents of `space`.
    fn documents(&self, space: SpaceId) -> Result<Vec<DocInfo>, StoreError>;

    /// `doc`'s snapshot if it covers more than `after`, then blobs after `after` (or after the
    /// snapshot), at most `max_items` of them and no more than `max_bytes` (but at least one).
    fn read(
        &self,
        space: SpaceId,
        doc: DocRef,
        after: u64,
        max_items: usize,
        max_bytes: usize,
    ) -> Result<Vec<Item>, StoreError>;

    fn totals(&self) -> Result<Totals, StoreError>;

    /// Whether the store answers now (for `/healthz`): a small read, so a database that went
    /// away shows here before any write is refused.
    ///
    /// # Errors
    /// Why it does not answer.
    fn health(&self) -> Result<(), StoreError> {
        self.totals().map(|_| ())
    }

    /// A governed space's membership operations, in the order they were stored (parents first).
    fn membership(&self, space: SpaceId) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Appends membership operations (already checked against the log) to `space`'s, counting
    /// their bytes against the space's quotas. Operations stored before are skipped.
    ///
    /// # Errors
    /// [`StoreError::NotRegistered`] or [`StoreError::Full`].
    /// `members` are the space's member devices after them.
    fn add_membership(
        &self,
        space: SpaceId,
        ops: &[([u8; 32], Vec<u8>)],
        members: &[DeviceId],
    ) -> Result<(), StoreError>;

    /// The governed spaces `device` is a member of (at most `limit`).
    fn spaces_of(&self, device: DeviceId, limit: usize) -> Result<Vec<SpaceId>, StoreError>;

    /// Deletes everything stored for `space` (its log, snapshots, membership and usage) and
    /// remembers that it was erased, so nothing is stored for it again.
    fn erase(&self, space: SpaceId) -> Result<(), StoreError>;

    /// Records a registration the operator issued.
    fn issue_registration(&self, id: RegistrationId, label: &str, quota: u64) -> Result<(), StoreError>;

    fn registrations(&self) -> Result<Vec<Registration>, StoreError>;

    /// Revokes a registration: its spaces store nothing more. Returns whether it existed.
    fn revoke_registration(&self, id: RegistrationId) -> Result<bool, StoreError>;

    /// Changes a registration's quota. Returns whether it existed.
    fn set_registration_quota(&self, id: RegistrationId, quota: u64) -> Result<bool, StoreError>;

    /// For a store several relay instances share: what the others do, in the order their
    /// writes committed (taken once; `None` for a store only this process writes).
    fn changes(&self) -> Option<tokio::sync::mpsc::Receiver<Change>> {
        None
    }

    /// Tells the other instances sharing the store about something never stored (presence).
    /// Never blocks: a change that cannot go at once is dropped.
    fn announce(&self, _change: &Change) {}
}
