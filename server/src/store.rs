//! Where the relay keeps sealed blobs: per document, an append-only log numbered from 1, and
//! optionally a snapshot that covers the log up to some number, after which the covered blobs
//! are dropped.
//!
//! [`Store`] is what the relay needs; [`SqliteStore`] is the default, one file in the data
//! directory. A PostgreSQL store would implement the same trait.

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use amplify::{DocRef, SpaceId};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the space already holds its maximum of {0} documents")]
    TooManyDocuments(u64),
    #[error("the snapshot covers up to {covers}, but the log ends at {last}")]
    SnapshotBeyondLog { covers: u64, last: u64 },
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the store call did not finish: {0}")]
    Interrupted(String),
}

/// What the relay stores for one document, as catch-up reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Snapshot { doc: DocRef, covers: u64, blob: Vec<u8> },
    Blob { doc: DocRef, seq: u64, blob: Vec<u8> },
}

/// Totals for the metrics endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub spaces: u64,
    pub documents: u64,
    pub blobs: u64,
    pub bytes: u64,
}

/// One blob to append (see [`Store::append_many`]).
#[derive(Debug, Clone)]
pub struct Append {
    pub space: SpaceId,
    pub doc: DocRef,
    pub hash: [u8; 32],
    pub blob: Vec<u8>,
    /// The most documents the blob's space may hold.
    pub max_docs: u64,
}

/// The relay's storage. Every method is blocking; the relay calls them off the async runtime.
pub trait Store: Send + Sync + 'static {
    /// Appends several blobs in one durable transaction (one fsync for all: group commit). Each
    /// gets its own answer, as [`Store::append`] would give it.
    fn append_many(&self, items: &[Append]) -> Vec<Result<(u64, bool), StoreError>>;

    /// Appends `blob` to `doc`'s log, or finds it there already (same `hash`): returns its
    /// sequence number and whether it is new. Durable when this returns.
    ///
    /// # Errors
    /// [`StoreError::TooManyDocuments`] when `doc` would be one document too many for `space`.
    fn append(
        &self,
        space: SpaceId,
        doc: DocRef,
        hash: [u8; 32],
        blob: &[u8],
        max_docs: u64,
    ) -> Result<(u64, bool), StoreError>;

    /// Stores a snapshot of `doc` that covers its log up to `covers`, and drops what it covers.
    /// An older snapshot than the one stored changes nothing.
    ///
    /// # Errors
    /// [`StoreError::SnapshotBeyondLog`] if the log does not reach `covers`.
    fn snapshot(&self, space: SpaceId, doc: DocRef, covers: u64, blob: &[u8]) -> Result<(), StoreError>;

    /// The documents of `space`, each with its snapshot's cover and its last sequence number.
    fn documents(&self, space: SpaceId) -> Result<Vec<(DocRef, u64, u64)>, StoreError>;

    /// `doc`'s snapshot if it covers more than `after`, then up to `limit` blobs after
    /// `after` (or after the snapshot).
    fn read(&self, space: SpaceId, doc: DocRef, after: u64, limit: usize) -> Result<Vec<Item>, StoreError>;

    fn totals(&self) -> Result<Totals, StoreError>;
}

/// The default store: SQLite in WAL mode, `synchronous=FULL`, so a commit is on disk (fsync)
/// before the relay acknowledges anything.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`.
    ///
    /// # Errors
    /// If the file cannot be opened or its schema created.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS documents (
                 space BLOB NOT NULL,
                 doc BLOB NOT NULL,
                 last_seq INTEGER NOT NULL,
                 covers INTEGER NOT NULL DEFAULT 0,
                 snapshot BLOB,
                 PRIMARY KEY (space, doc)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS blobs (
                 space BLOB NOT NULL,
                 doc BLOB NOT NULL,
                 seq INTEGER NOT NULL,
                 hash BLOB NOT NULL,
                 body BLOB NOT NULL,
                 PRIMARY KEY (space, doc, seq)
             ) WITHOUT ROWID;
             CREATE UNIQUE INDEX IF NOT EXISTS blobs_by_hash ON blobs (space, doc, hash);",
        )?;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back), so
        // a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SqliteStore {
    /// One append inside an open transaction. Refusals (too many documents) write nothing.
    fn append_in(tx: &rusqlite::Transaction<'_>, item: &Append) -> Result<(u64, bool), StoreError> {
        let Append { space, doc, hash, blob, max_docs } = item;
        let existing: Option<u64> = tx
            .query_row(
                "SELECT seq FROM blobs WHERE space = ?1 AND doc = ?2 AND hash = ?3",
                params![&space.0, &doc.0, hash],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(seq) = existing {
            return Ok((seq, false));
        }
        let last: Option<u64> = tx
            .query_row(
                "SELECT last_seq FROM documents WHERE space = ?1 AND doc = ?2",
                params![&space.0, &doc.0],
                |row| row.get(0),
            )
            .optional()?;
        let seq = match last {
            Some(last) => last + 1,
            None => {
                let count: u64 = tx.query_row(
                    "SELECT COUNT(*) FROM documents WHERE space = ?1",
                    params![&space.0],
                    |row| row.get(0),
                )?;
                if count >= *max_docs {
                    return Err(StoreError::TooManyDocuments(*max_docs));
                }
                1
            }
        };
        tx.execute(
            "INSERT INTO documents (space, doc, last_seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (space, doc) DO UPDATE SET last_seq = excluded.last_seq",
            params![&space.0, &doc.0, seq],
        )?;
        tx.execute(
            "INSERT INTO blobs (space, doc, seq, hash, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&space.0, &doc.0, seq, hash, blob],
        )?;
        Ok((seq, true))
    }
}

impl Store for SqliteStore {
    fn append_many(&self, items: &[Append]) -> Vec<Result<(u64, bool), StoreError>> {
        let mut conn = self.conn();
        let outcome = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let results: Vec<_> = items.iter().map(|item| SqliteStore::append_in(&tx, item)).collect();
            // A database error part-way leaves the transaction unsure: roll all of it back.
            if results.iter().any(|r| matches!(r, Err(StoreError::Database(_)))) {
                return Err(StoreError::Interrupted("a write in the batch failed".to_owned()));
            }
            tx.commit()?;
            Ok(results)
        })();
        match outcome {
            Ok(results) => results,
            Err(e) => items.iter().map(|_| Err(StoreError::Interrupted(e.to_string()))).collect(),
        }
    }

    fn append(
        &self,
        space: SpaceId,
        doc: DocRef,
        hash: [u8; 32],
        blob: &[u8],
        max_docs: u64,
    ) -> Result<(u64, bool), StoreError> {
        let item = Append { space, doc, hash, blob: blob.to_vec(), max_docs };
        self.append_many(std::slice::from_ref(&item)).pop().expect("one answer per item")
    }

    fn snapshot(&self, space: SpaceId, doc: DocRef, covers: u64, blob: &[u8]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(u64, u64)> = tx
            .query_row(
                "SELECT last_seq, covers FROM documents WHERE space = ?1 AND doc = ?2",
                params![&space.0, &doc.0],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (last, current) = row.unwrap_or((0, 0));
        if covers > last || covers == 0 {
            return Err(StoreError::SnapshotBeyondLog { covers, last });
        }
        if covers <= current {
            return Ok(());
        }
        tx.execute(
            "UPDATE documents SET covers = ?3, snapshot = ?4 WHERE space = ?1 AND doc = ?2",
            params![&space.0, &doc.0, covers, blob],
        )?;
        tx.execute(
            "DELETE FROM blobs WHERE space = ?1 AND doc = ?2 AND seq <= ?3",
            params![&space.0, &doc.0, covers],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn documents(&self, space: SpaceId) -> Result<Vec<(DocRef, u64, u64)>, StoreError> {
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached("SELECT doc, covers, last_seq FROM documents WHERE space = ?1")?;
        let rows = statement.query_map(params![&space.0], |row| {
            let doc: Vec<u8> = row.get(0)?;
            Ok((doc, row.get(1)?, row.get(2)?))
        })?;
        let mut docs = Vec::new();
        for row in rows {
            let (doc, covers, last) = row?;
            if let Ok(doc) = <[u8; 16]>::try_from(doc.as_slice()) {
                docs.push((DocRef(doc), covers, last));
            }
        }
        Ok(docs)
    }

    fn read(&self, space: SpaceId, doc: DocRef, after: u64, limit: usize) -> Result<Vec<Item>, StoreError> {
        let conn = self.conn();
        let mut items = Vec::new();
        let snapshot: Option<(u64, Option<Vec<u8>>)> = conn
            .query_row(
                "SELECT covers, snapshot FROM documents WHERE space = ?1 AND doc = ?2",
                params![&space.0, &doc.0],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let mut from = after;
        if let Some((covers, Some(blob))) = snapshot
            && covers > after
        {
            items.push(Item::Snapshot { doc, covers, blob });
            from = covers;
        }
        let mut statement = conn.prepare_cached(
            "SELECT seq, body FROM blobs WHERE space = ?1 AND doc = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
        )?;
        let rows = statement.query_map(params![&space.0, &doc.0, from, limit as u64], |row| {
            Ok(Item::Blob { doc, seq: row.get(0)?, blob: row.get(1)? })
        })?;
        for row in rows {
            items.push(row?);
        }
        Ok(items)
    }

    fn totals(&self) -> Result<Totals, StoreError> {
        let conn = self.conn();
        let (spaces, documents, snapshot_bytes): (u64, u64, u64) = conn.query_row(
            "SELECT COUNT(DISTINCT space), COUNT(*), COALESCE(SUM(LENGTH(snapshot)), 0) FROM documents",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let (blobs, blob_bytes): (u64, u64) =
            conn.query_row("SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM blobs", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        Ok(Totals { spaces, documents, blobs, bytes: blob_bytes + snapshot_bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("relay.sqlite3")).unwrap();
        (dir, store)
    }

    const SPACE: SpaceId = SpaceId([1; 32]);
    const DOC: DocRef = DocRef([2; 16]);

    #[test]
    fn appends_number_from_one_and_a_repeat_keeps_its_number() {
        let (_dir, store) = store();
        assert_eq!(store.append(SPACE, DOC, [1; 32], b"a", 10).unwrap(), (1, true));
        assert_eq!(store.append(SPACE, DOC, [2; 32], b"b", 10).unwrap(), (2, true));
        assert_eq!(store.append(SPACE, DOC, [1; 32], b"a", 10).unwrap(), (1, false));
        let items = store.read(SPACE, DOC, 1, 10).unwrap();
        assert_eq!(items, [Item::Blob { doc: DOC, seq: 2, blob: b"b".to_vec() }]);
    }

    #[test]
    fn a_snapshot_drops_what_it_covers_and_catch_up_starts_from_it() {
        let (_dir, store) = store();
        for i in 1..=5u8 {
            store.append(SPACE, DOC, [i; 32], &[i], 10).unwrap();
        }
        store.snapshot(SPACE, DOC, 3, b"snap").unwrap();
        let all = store.read(SPACE, DOC, 0, 10).unwrap();
        assert_eq!(all[0], Item::Snapshot { doc: DOC, covers: 3, blob: b"snap".to_vec() });
        assert_eq!(all.len(), 3);
        assert!(all[1..].iter().all(|i| matches!(i, Item::Blob { seq: 4 | 5, .. })));
        // A client already past the snapshot gets only the blobs after its cursor.
        assert_eq!(store.read(SPACE, DOC, 4, 10).unwrap().len(), 1);
        // An older snapshot is ignored; one beyond the log is refused.
        store.snapshot(SPACE, DOC, 2, b"old").unwrap();
        assert!(matches!(store.read(SPACE, DOC, 0, 10).unwrap()[0], Item::Snapshot { covers: 3, .. }));
        assert!(matches!(store.snapshot(SPACE, DOC, 9, b"x"), Err(StoreError::SnapshotBeyondLog { .. })));
        assert_eq!(store.totals().unwrap().blobs, 2);
    }

    #[test]
    fn a_batch_numbers_in_order_and_answers_each_item() {
        let (_dir, store) = store();
        let item = |doc: u8, hash: u8| Append {
            space: SPACE,
            doc: DocRef([doc; 16]),
            hash: [hash; 32],
            blob: vec![hash],
            max_docs: 2,
        };
        let results = store.append_many(&[item(1, 1), item(1, 2), item(2, 3), item(1, 1), item(3, 4)]);
        let answers: Vec<_> = results.iter().take(4).map(|r| r.as_ref().ok().copied()).collect();
        assert_eq!(answers, [Some((1, true)), Some((2, true)), Some((1, true)), Some((1, false))]);
        assert!(
            matches!(results[4], Err(StoreError::TooManyDocuments(2))),
            "the refused item writes nothing"
        );
        assert_eq!(store.totals().unwrap().blobs, 3);
    }

    #[test]
    fn a_space_holds_a_bounded_number_of_documents() {
        let (_dir, store) = store();
        store.append(SPACE, DocRef([1; 16]), [1; 32], b"a", 2).unwrap();
        store.append(SPACE, DocRef([2; 16]), [2; 32], b"b", 2).unwrap();
        let third = store.append(SPACE, DocRef([3; 16]), [3; 32], b"c", 2);
        assert!(matches!(third, Err(StoreError::TooManyDocuments(2))));
        // Existing documents still take writes, and other spaces are unaffected.
        assert!(store.append(SPACE, DocRef([1; 16]), [4; 32], b"d", 2).is_ok());
        assert!(store.append(SpaceId([9; 32]), DocRef([3; 16]), [3; 32], b"c", 2).is_ok());
    }

    #[test]
    fn everything_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.sqlite3");
        SqliteStore::open(&path).unwrap().append(SPACE, DOC, [1; 32], b"kept", 10).unwrap();
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(reopened.documents(SPACE).unwrap(), [(DOC, 0, 1)]);
        assert_eq!(reopened.read(SPACE, DOC, 0, 10).unwrap().len(), 1);
    }
}
