//! The default store: SQLite in WAL mode with `synchronous=FULL`, so a commit is on disk
//! (fsync) before the relay acknowledges anything.
//!
//! One connection writes (the relay's writer thread and the few other writes); a small pool of
//! connections reads, so a long catch-up never waits behind a write, nor a write behind it (WAL
//! lets readers and the writer run at once). The schema is versioned with `user_version` and
//! migrated at open.

use std::{
    path::Path,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicUsize, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use amplify::{DeviceId, DocRef, RegistrationId, SpaceId};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Admission, Append, Appended, DocInfo, Item, OPEN_REGISTRATION, Registration, Scope, Snapshot, Store,
    StoreConfig, StoreError, Totals, Usage,
};

/// Readers kept open: enough for a few catch-ups at once on a small machine.
const READERS: usize = 4;

/// Each migration takes the schema from the version before it to its own number.
const MIGRATIONS: &[&str] = &[
    // 1: the log and snapshots.
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
    // 2: registrations, usage per scope, authors, O(1) totals. Spaces from before belong to
    // the open registration; covered blobs keep their row (and hash) with an empty body.
    "CREATE TABLE registrations (
         id BLOB PRIMARY KEY,
         label TEXT NOT NULL,
         quota INTEGER NOT NULL,
         bytes INTEGER NOT NULL DEFAULT 0,
         created_ms INTEGER NOT NULL,
         revoked_ms INTEGER
     ) WITHOUT ROWID;
     CREATE TABLE spaces (
         space BLOB PRIMARY KEY,
         registration BLOB NOT NULL,
         bytes INTEGER NOT NULL DEFAULT 0,
         documents INTEGER NOT NULL DEFAULT 0
     ) WITHOUT ROWID;
     CREATE INDEX spaces_by_registration ON spaces (registration);
     CREATE TABLE devices (device BLOB PRIMARY KEY, bytes INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
     CREATE TABLE totals (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         spaces INTEGER NOT NULL,
         documents INTEGER NOT NULL,
         blobs INTEGER NOT NULL,
         bytes INTEGER NOT NULL
     );
     ALTER TABLE blobs ADD COLUMN author BLOB;
     ALTER TABLE documents ADD COLUMN snapshot_author BLOB;
     INSERT INTO registrations (id, label, quota, created_ms)
         VALUES (zeroblob(32), 'open admission, and spaces from before registrations', 0, 0);
     INSERT INTO spaces (space, registration, bytes, documents)
         SELECT d.space, zeroblob(32),
                COALESCE(SUM(LENGTH(d.snapshot)), 0)
                    + COALESCE((SELECT SUM(LENGTH(b.body)) FROM blobs b WHERE b.space = d.space), 0),
                COUNT(*)
         FROM documents d GROUP BY d.space;
     UPDATE registrations SET bytes = (SELECT COALESCE(SUM(bytes), 0) FROM spaces);
     INSERT INTO totals (id, spaces, documents, blobs, bytes) VALUES (1,
         (SELECT COUNT(*) FROM spaces), (SELECT COUNT(*) FROM documents),
         (SELECT COUNT(*) FROM blobs), (SELECT COALESCE(SUM(bytes), 0) FROM spaces));",
    // 3: governed spaces' membership logs, and spaces erased for good.
    "CREATE TABLE membership (
         space BLOB NOT NULL,
         id BLOB NOT NULL,
         seq INTEGER NOT NULL,
         body BLOB NOT NULL,
         PRIMARY KEY (space, id)
     ) WITHOUT ROWID;
     CREATE INDEX membership_by_seq ON membership (space, seq);
     CREATE TABLE erased (space BLOB PRIMARY KEY, erased_ms INTEGER NOT NULL) WITHOUT ROWID;",
    // 4: which devices are members of which governed spaces now (a device restored from a
    // recovery code learns its spaces from the relay).
    "CREATE TABLE member_devices (
         device BLOB NOT NULL,
         space BLOB NOT NULL,
         PRIMARY KEY (device, space)
     ) WITHOUT ROWID;
     CREATE INDEX member_devices_by_space ON member_devices (space);",
    // 5: blobs a snapshot covers leave the log for a table of their hashes alone (a blob sent
    // again is still known, and a short row costs a tenth of a long one with its body gone).
    "CREATE TABLE covered (
         space BLOB NOT NULL,
         doc BLOB NOT NULL,
         hash BLOB NOT NULL,
         seq INTEGER NOT NULL,
         PRIMARY KEY (space, doc, hash)
     ) WITHOUT ROWID;
     INSERT INTO covered (space, doc, hash, seq)
         SELECT b.space, b.doc, b.hash, b.seq FROM blobs b
         JOIN documents d ON d.space = b.space AND d.doc = b.doc WHERE b.seq <= d.covers;
     DELETE FROM blobs WHERE EXISTS (
         SELECT 1 FROM documents d
         WHERE d.space = blobs.space AND d.doc = blobs.doc AND blobs.seq <= d.covers);
     UPDATE totals SET blobs = (SELECT COUNT(*) FROM blobs) WHERE id = 1;",
];

/// See the module documentation.
#[derive(Debug)]
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    config: StoreConfig,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // A new file gives the pages freed by snapshots and erasures back (see `maintain`). This
    // takes only before anything is written to the file, so it comes first; on an existing
    // file it changes nothing.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A bounded page cache per connection (negative: KiB), so the pool's memory is known.
    conn.pragma_update(None, "cache_size", -8192)?;
    // Deleted content (an erased space, a covered blob) is overwritten, not left in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

/// Brings the schema to the newest version; each step in its own transaction. Running it
/// again (or on a database another process just migrated) does nothing.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: usize = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let Some(step) = MIGRATIONS.get(version) else { return Ok(()) };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "migrated the relay's database");
    }
}

impl SqliteStore {
    /// Opens (or creates, or migrates) the database at `path`.
    ///
    /// # Errors
    /// If the file cannot be opened or its schema brought up to date.
    pub fn open(path: &Path, config: StoreConfig) -> Result<SqliteStore, StoreError> {
        let mut writer = connect(path)?;
        migrate(&mut writer)?;
        writer.execute(
            "UPDATE registrations SET quota = ?1 WHERE id = ?2",
            params![config.quotas.open_registration, &OPEN_REGISTRATION.0],
        )?;
        let readers =
            (0..READERS).map(|_| connect(path).map(Mutex::new)).collect::<Result<Vec<_>, StoreError>>()?;
        Ok(SqliteStore { writer: Mutex::new(writer), readers, next_reader: AtomicUsize::new(0), config })
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back), so
        // a poisoned lock is still safe to use.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A free reader if there is one, else the next in turn.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        for conn in &self.readers {
            if let Ok(guard) = conn.try_lock() {
                return guard;
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The registration `space` counts under, if it may store anything: `None` if it is not
    /// registered (and admission is not open) or its registration was revoked. Registers it
    /// under the open registration when admission is open.
    fn admitted(&self, tx: &Connection, space: SpaceId) -> Result<Option<RegistrationId>, StoreError> {
        let erased: i64 = tx
            .prepare_cached("SELECT COUNT(*) FROM erased WHERE space = ?1")?
            .query_row(params![&space.0], |row| row.get(0))?;
        if erased > 0 {
            return Ok(None);
        }
        let row: Option<(Vec<u8>, Option<i64>)> = tx
            .prepare_cached(
                "SELECT s.registration, r.revoked_ms FROM spaces s
                 JOIN registrations r ON r.id = s.registration WHERE s.space = ?1",
            )?
            .query_row(params![&space.0], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        match row {
            Some((_, Some(_revoked))) => Ok(None),
            Some((registration, None)) => Ok(<[u8; 32]>::try_from(registration).ok().map(RegistrationId)),
            None if self.config.admission == Admission::Open => {
                tx.execute(
                    "INSERT INTO spaces (space, registration) VALUES (?1, ?2)",
                    params![&space.0, &OPEN_REGISTRATION.0],
                )?;
                tx.execute("UPDATE totals SET spaces = spaces + 1 WHERE id = 1", [])?;
                Ok(Some(OPEN_REGISTRATION))
            }
            None => Ok(None),
        }
    }

    /// Refuses `grow` more bytes if any scope would pass its quota.
    fn check_quotas(
        &self,
        tx: &Connection,
        space: SpaceId,
        registration: RegistrationId,
        device: DeviceId,
        grow: u64,
    ) -> Result<(), StoreError> {
        let usage = tx
            .prepare_cached(
                "SELECT (SELECT bytes FROM spaces WHERE space = ?1), r.bytes, r.quota,
                        (SELECT bytes FROM devices WHERE device = ?3), (SELECT bytes FROM totals WHERE id = 1)
                 FROM registrations r WHERE r.id = ?2",
            )?
            .query_row(params![&space.0, &registration.0, &device.0], |row| {
                Ok(Usage {
                    space: row.get::<_, Option<u64>>(0)?.unwrap_or(0),
                    registration: row.get(1)?,
                    registration_quota: row.get(2)?,
                    device: row.get::<_, Option<u64>>(3)?.unwrap_or(0),
                    relay: row.get(4)?,
                })
            })?;
        self.config.quotas.admit(&usage, grow)
    }

    /// Adds `delta` bytes to every scope's usage (negative when a snapshot drops more than it
    /// adds).
    fn account(
        tx: &Connection,
        space: SpaceId,
        registration: RegistrationId,
        delta: i64,
    ) -> Result<(), StoreError> {
        tx.prepare_cached("UPDATE spaces SET bytes = bytes + ?2 WHERE space = ?1")?
            .execute(params![&space.0, delta])?;
        tx.prepare_cached("UPDATE registrations SET bytes = bytes + ?2 WHERE id = ?1")?
            .execute(params![&registration.0, delta])?;
        tx.prepare_cached("UPDATE totals SET bytes = bytes + ?1 WHERE id = 1")?.execute(params![delta])?;
        Ok(())
    }

    fn account_device(tx: &Connection, device: &[u8], delta: i64) -> Result<(), StoreError> {
        tx.prepare_cached(
            "INSERT INTO devices (device, bytes) VALUES (?1, MAX(?2, 0))
             ON CONFLICT (device) DO UPDATE SET bytes = MAX(bytes + ?2, 0)",
        )?
        .execute(params![device, delta])?;
        Ok(())
    }

    /// One append inside an open transaction. Refusals write nothing.
    fn append_in(&self, tx: &Connection, item: &Append) -> Appended {
        let Append { space, doc, author, hash, blob, max_docs } = item;
        let existing: Option<u64> = tx
            .prepare_cached(
                "SELECT seq FROM blobs WHERE space = ?1 AND doc = ?2 AND hash = ?3
                 UNION ALL SELECT seq FROM covered WHERE space = ?1 AND doc = ?2 AND hash = ?3 LIMIT 1",
            )?
            .query_row(params![&space.0, &doc.0, hash], |row| row.get(0))
            .optional()?;
        if let Some(seq) = existing {
            return Ok((seq, false));
        }
        let Some(registration) = self.admitted(tx, *space)? else {
            return Err(StoreError::NotRegistered);
        };
        let last: Option<u64> = tx
            .prepare_cached("SELECT last_seq FROM documents WHERE space = ?1 AND doc = ?2")?
            .query_row(params![&space.0, &doc.0], |row| row.get(0))
            .optional()?;
        let seq = match last {
            Some(last) => last + 1,
            None => {
                let count: u64 = tx
                    .prepare_cached("SELECT documents FROM spaces WHERE space = ?1")?
                    .query_row(params![&space.0], |row| row.get(0))?;
                if count >= *max_docs {
                    return Err(StoreError::TooManyDocuments(*max_docs));
                }
                1
            }
        };
        let size = blob.len() as u64;
        self.check_quotas(tx, *space, registration, *author, size)?;
        if seq == 1 {
            tx.prepare_cached("INSERT INTO documents (space, doc, last_seq) VALUES (?1, ?2, 1)")?
                .execute(params![&space.0, &doc.0])?;
            tx.prepare_cached("UPDATE spaces SET documents = documents + 1 WHERE space = ?1")?
                .execute(params![&space.0])?;
            tx.execute("UPDATE totals SET documents = documents + 1 WHERE id = 1", [])?;
        } else {
            tx.prepare_cached("UPDATE documents SET last_seq = ?3 WHERE space = ?1 AND doc = ?2")?
                .execute(params![&space.0, &doc.0, seq])?;
        }
        tx.prepare_cached(
            "INSERT INTO blobs (space, doc, seq, hash, body, author) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![&space.0, &doc.0, seq, hash, blob, &author.0])?;
        tx.execute("UPDATE totals SET blobs = blobs + 1 WHERE id = 1", [])?;
        SqliteStore::account(tx, *space, registration, size as i64)?;
        SqliteStore::account_device(tx, &author.0, size as i64)?;
        Ok((seq, true))
    }

    /// Writes `items` in one transaction (one fsync for all), each in its own savepoint: a
    /// refusal part-way rolls back only its writes (dropping a savepoint rolls it back). A
    /// database error ends the whole batch, and every item is answered with it.
    fn in_one_transaction<I, R>(
        &self,
        items: &[I],
        write: impl Fn(&Self, &Connection, &I) -> Result<R, StoreError>,
    ) -> Vec<Result<R, StoreError>> {
        let mut conn = self.writer();
        let outcome = (|| {
            let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut results = Vec::with_capacity(items.len());
            for item in items {
                let savepoint = tx.savepoint()?;
                let result = write(self, &savepoint, item);
                match &result {
                    Ok(_) => savepoint.commit()?,
                    Err(StoreError::Database(e)) => {
                        return Err(StoreError::Interrupted(format!("a write in the batch failed: {e}")));
                    }
                    Err(_) => drop(savepoint),
                }
                results.push(result);
            }
            tx.commit()?;
            Ok(results)
        })();
        match outcome {
            Ok(results) => results,
            Err(e) => items.iter().map(|_| Err(StoreError::Interrupted(e.to_string()))).collect(),
        }
    }

    fn snapshot_in(&self, tx: &Connection, s: &Snapshot) -> Result<(), StoreError> {
        /// The log's end, what the current snapshot covers, its size and its author.
        type Current = (u64, u64, Option<i64>, Option<Vec<u8>>);
        let row: Option<Current> = tx
            .query_row(
                "SELECT last_seq, covers, LENGTH(snapshot), snapshot_author FROM documents
                 WHERE space = ?1 AND doc = ?2",
                params![&s.space.0, &s.doc.0],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let (last, current, old_len, old_author) = row.unwrap_or((0, 0, None, None));
        if s.covers > last || s.covers == 0 {
            return Err(StoreError::SnapshotBeyondLog { covers: s.covers, last });
        }
        if s.covers <= current {
            return Ok(());
        }
        let Some(registration) = self.admitted(tx, s.space)? else {
            return Err(StoreError::NotRegistered);
        };
        // What the snapshot covers, by author, to give back to each.
        let covered: Vec<(Option<Vec<u8>>, i64, i64)> = {
            let mut statement = tx.prepare_cached(
                "SELECT author, SUM(LENGTH(body)), COUNT(*) FROM blobs
                 WHERE space = ?1 AND doc = ?2 AND seq > ?3 AND seq <= ?4 GROUP BY author",
            )?;
            let rows = statement.query_map(params![&s.space.0, &s.doc.0, current, s.covers], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let dropped: i64 = covered.iter().map(|(_, bytes, _)| bytes).sum();
        let count: i64 = covered.iter().map(|(_, _, n)| n).sum();
        let delta = s.blob.len() as i64 - old_len.unwrap_or(0) - dropped;
        if delta > 0 {
            self.check_quotas(tx, s.space, registration, s.author, delta as u64)?;
        }
        tx.execute(
            "UPDATE documents SET covers = ?3, snapshot = ?4, snapshot_author = ?5 WHERE space = ?1 AND doc = ?2",
            params![&s.space.0, &s.doc.0, s.covers, &s.blob, &s.author.0],
        )?;
        // The blobs go; their hashes stay, so the same blob sent again is known and not stored.
        tx.execute(
            "INSERT OR IGNORE INTO covered (space, doc, hash, seq)
             SELECT space, doc, hash, seq FROM blobs WHERE space = ?1 AND doc = ?2 AND seq > ?3 AND seq <= ?4",
            params![&s.space.0, &s.doc.0, current, s.covers],
        )?;
        tx.execute(
            "DELETE FROM blobs WHERE space = ?1 AND doc = ?2 AND seq > ?3 AND seq <= ?4",
            params![&s.space.0, &s.doc.0, current, s.covers],
        )?;
        tx.execute("UPDATE totals SET blobs = blobs - ?1 WHERE id = 1", params![count])?;
        SqliteStore::account(tx, s.space, registration, delta)?;
        for (author, bytes, _) in &covered {
            if let Some(author) = author {
                SqliteStore::account_device(tx, author, -bytes)?;
            }
        }
        if let (Some(author), Some(len)) = (old_author, old_len) {
            SqliteStore::account_device(tx, &author, -len)?;
        }
        SqliteStore::account_device(tx, &s.author.0, s.blob.len() as i64)?;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn append_many(&self, items: &[Append]) -> Vec<Appended> {
        self.in_one_transaction(items, Self::append_in)
    }

    fn snapshot_many(&self, items: &[Snapshot]) -> Vec<Result<(), StoreError>> {
        self.in_one_transaction(items, Self::snapshot_in)
    }

    fn register(&self, space: SpaceId, registration: RegistrationId) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let live: Option<Option<i64>> = tx
            .query_row(
                "SELECT revoked_ms FROM registrations WHERE id = ?1",
                params![&registration.0],
                |row| row.get(0),
            )
            .optional()?;
        if !matches!(live, Some(None)) || registration == OPEN_REGISTRATION {
            return Err(StoreError::UnknownRegistration);
        }
        let current: Option<(Vec<u8>, i64)> = tx
            .query_row("SELECT registration, bytes FROM spaces WHERE space = ?1", params![&space.0], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        match current {
            None => {
                tx.execute(
                    "INSERT INTO spaces (space, registration) VALUES (?1, ?2)",
                    params![&space.0, &registration.0],
                )?;
                tx.execute("UPDATE totals SET spaces = spaces + 1 WHERE id = 1", [])?;
            }
            // A space admitted openly (or from before registrations) moves, with its bytes.
            Some((from, bytes)) if from == OPEN_REGISTRATION.0 => {
                tx.execute(
                    "UPDATE spaces SET registration = ?2 WHERE space = ?1",
                    params![&space.0, &registration.0],
                )?;
                tx.execute(
                    "UPDATE registrations SET bytes = bytes - ?2 WHERE id = ?1",
                    params![&from, bytes],
                )?;
                tx.execute(
                    "UPDATE registrations SET bytes = bytes + ?2 WHERE id = ?1",
                    params![&registration.0, bytes],
                )?;
            }
            Some(_) => {}
        }
        tx.commit()?;
        Ok(())
    }

    fn unregistered(&self, spaces: &[SpaceId]) -> Result<Vec<SpaceId>, StoreError> {
        let conn = self.reader();
        let mut statement = conn.prepare_cached(
            "SELECT r.revoked_ms FROM spaces s JOIN registrations r ON r.id = s.registration WHERE s.space = ?1",
        )?;
        let mut out = Vec::new();
        for space in spaces {
            let revoked: Option<Option<i64>> =
                statement.query_row(params![&space.0], |row| row.get(0)).optional()?;
            let refused = match revoked {
                Some(revoked) => revoked.is_some(),
                None => self.config.admission == Admission::Registered,
            };
            if refused {
                out.push(*space);
            }
        }
        Ok(out)
    }

    fn documents(&self, space: SpaceId) -> Result<Vec<DocInfo>, StoreError> {
        let conn = self.reader();
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
                docs.push(DocInfo { doc: DocRef(doc), covers, last });
            }
        }
        Ok(docs)
    }

    fn read(
        &self,
        space: SpaceId,
        doc: DocRef,
        after: u64,
        max_items: usize,
        max_bytes: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let conn = self.reader();
        let mut items = Vec::new();
        let mut bytes = 0;
        let snapshot: Option<(u64, Option<Vec<u8>>)> = conn
            .prepare_cached("SELECT covers, snapshot FROM documents WHERE space = ?1 AND doc = ?2")?
            .query_row(params![&space.0, &doc.0], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let mut from = after;
        if let Some((covers, Some(blob))) = snapshot
            && covers > after
        {
            bytes += blob.len();
            items.push(Item::Snapshot { doc, covers, blob });
            from = covers;
        }
        let mut statement = conn.prepare_cached(
            "SELECT seq, body FROM blobs WHERE space = ?1 AND doc = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
        )?;
        let mut rows = statement.query(params![&space.0, &doc.0, from, max_items as u64])?;
        while let Some(row) = rows.next()? {
            if !items.is_empty() && bytes >= max_bytes {
                break;
            }
            let blob: Vec<u8> = row.get(1)?;
            bytes += blob.len();
            items.push(Item::Blob { doc, seq: row.get(0)?, blob });
        }
        Ok(items)
    }

    fn maintain(&self) -> Result<(), StoreError> {
        let conn = self.writer();
        // Free pages go back to the file (on files made with auto_vacuum; a no-op on older
        // ones), then the write-ahead log is folded in and cut to nothing.
        // The pragma frees a page per step: step it to the end.
        let mut vacuum = conn.prepare("PRAGMA incremental_vacuum")?;
        let mut steps = vacuum.query([])?;
        while steps.next()?.is_some() {}
        drop(steps);
        drop(vacuum);
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn totals(&self) -> Result<Totals, StoreError> {
        let conn = self.reader();
        Ok(conn
            .prepare_cached("SELECT spaces, documents, blobs, bytes FROM totals WHERE id = 1")?
            .query_row([], |row| {
                Ok(Totals {
                    spaces: row.get(0)?,
                    documents: row.get(1)?,
                    blobs: row.get(2)?,
                    bytes: row.get(3)?,
                })
            })?)
    }

    fn membership(&self, space: SpaceId) -> Result<Vec<Vec<u8>>, StoreError> {
        let conn = self.reader();
        let mut statement =
            conn.prepare_cached("SELECT body FROM membership WHERE space = ?1 ORDER BY seq")?;
        let rows = statement.query_map(params![&space.0], |row| row.get::<_, Vec<u8>>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn add_membership(
        &self,
        space: SpaceId,
        ops: &[([u8; 32], Vec<u8>)],
        members: &[DeviceId],
    ) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(registration) = self.admitted(&tx, space)? else {
            return Err(StoreError::NotRegistered);
        };
        let next: u64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM membership WHERE space = ?1",
            params![&space.0],
            |row| row.get(0),
        )?;
        let mut grow = 0i64;
        for (i, (id, body)) in ops.iter().enumerate() {
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO membership (space, id, seq, body) VALUES (?1, ?2, ?3, ?4)",
                params![&space.0, id, next + i as u64, body],
            )?;
            grow += (inserted * body.len()) as i64;
        }
        let quotas = &self.config.quotas;
        let space_bytes: u64 =
            tx.query_row("SELECT bytes FROM spaces WHERE space = ?1", params![&space.0], |row| row.get(0))?;
        if space_bytes + grow as u64 > quotas.space {
            return Err(StoreError::Full(Scope::Space));
        }
        SqliteStore::account(&tx, space, registration, grow)?;
        tx.execute("DELETE FROM member_devices WHERE space = ?1", params![&space.0])?;
        for device in members {
            tx.execute(
                "INSERT INTO member_devices (device, space) VALUES (?1, ?2)",
                params![&device.0, &space.0],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn spaces_of(&self, device: DeviceId, limit: usize) -> Result<Vec<SpaceId>, StoreError> {
        let conn = self.reader();
        let mut statement =
            conn.prepare_cached("SELECT space FROM member_devices WHERE device = ?1 LIMIT ?2")?;
        let rows = statement.query_map(params![&device.0, limit as i64], |row| row.get::<_, Vec<u8>>(0))?;
        let spaces: Vec<Vec<u8>> = rows.collect::<Result<_, _>>()?;
        Ok(spaces.into_iter().filter_map(|s| Some(SpaceId(s.try_into().ok()?))).collect())
    }

    fn erase(&self, space: SpaceId) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(Vec<u8>, i64, i64)> = tx
            .query_row(
                "SELECT registration, bytes, documents FROM spaces WHERE space = ?1",
                params![&space.0],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let blobs: i64 = tx.query_row(
            "SELECT COUNT(*) FROM blobs b JOIN documents d ON d.space = b.space AND d.doc = b.doc
             WHERE b.space = ?1 AND b.seq > d.covers",
            params![&space.0],
            |row| row.get(0),
        )?;
        // Each author gets back what it had stored here.
        let authors: Vec<(Option<Vec<u8>>, i64)> = {
            let mut statement =
                tx.prepare("SELECT author, SUM(LENGTH(body)) FROM blobs WHERE space = ?1 GROUP BY author")?;
            let rows = statement.query_map(params![&space.0], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (author, bytes) in authors {
            if let Some(author) = author {
                SqliteStore::account_device(&tx, &author, -bytes)?;
            }
        }
        for table in ["blobs", "covered", "documents", "membership", "member_devices"] {
            tx.execute(&format!("DELETE FROM {table} WHERE space = ?1"), params![&space.0])?;
        }
        if let Some((registration, bytes, documents)) = row {
            tx.execute(
                "UPDATE registrations SET bytes = bytes - ?2 WHERE id = ?1",
                params![&registration, bytes],
            )?;
            tx.execute(
                "UPDATE totals SET spaces = spaces - 1, documents = documents - ?1, blobs = blobs - ?2,
                 bytes = bytes - ?3 WHERE id = 1",
                params![documents, blobs, bytes],
            )?;
            tx.execute("DELETE FROM spaces WHERE space = ?1", params![&space.0])?;
        }
        tx.execute(
            "INSERT OR IGNORE INTO erased (space, erased_ms) VALUES (?1, ?2)",
            params![&space.0, now_ms()],
        )?;
        tx.commit()?;
        // Give the freed pages back to the file system (secure_delete is on: what was deleted is
        // overwritten).
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        Ok(())
    }

    fn issue_registration(&self, id: RegistrationId, label: &str, quota: u64) -> Result<(), StoreError> {
        self.writer().execute(
            "INSERT INTO registrations (id, label, quota, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![&id.0, label, quota, now_ms()],
        )?;
        Ok(())
    }

    fn registrations(&self) -> Result<Vec<Registration>, StoreError> {
        let conn = self.reader();
        let mut statement = conn.prepare(
            "SELECT r.id, r.label, r.quota, r.bytes, r.created_ms, r.revoked_ms,
                    (SELECT COUNT(*) FROM spaces s WHERE s.registration = r.id)
             FROM registrations r ORDER BY r.created_ms",
        )?;
        let rows = statement.query_map([], |row| {
            let id: Vec<u8> = row.get(0)?;
            Ok((id, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, label, quota, bytes, created_ms, revoked_ms, spaces) = row?;
            if let Ok(id) = <[u8; 32]>::try_from(id) {
                out.push(Registration {
                    id: RegistrationId(id),
                    label,
                    quota,
                    bytes,
                    spaces,
                    created_ms,
                    revoked_ms,
                });
            }
        }
        Ok(out)
    }

    fn revoke_registration(&self, id: RegistrationId) -> Result<bool, StoreError> {
        let changed = self.writer().execute(
            "UPDATE registrations SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            params![&id.0, now_ms()],
        )?;
        Ok(changed > 0)
    }

    fn set_registration_quota(&self, id: RegistrationId, quota: u64) -> Result<bool, StoreError> {
        let changed = self
            .writer()
            .execute("UPDATE registrations SET quota = ?2 WHERE id = ?1", params![&id.0, quota])?;
        Ok(changed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Quotas;

    const SPACE: SpaceId = SpaceId([1; 32]);
    const DOC: DocRef = DocRef([2; 16]);
    const DEVICE: DeviceId = DeviceId([3; 32]);

    fn open(dir: &tempfile::TempDir, admission: Admission, quotas: Quotas) -> SqliteStore {
        SqliteStore::open(&dir.path().join("relay.sqlite3"), StoreConfig { admission, quotas }).unwrap()
    }

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir, Admission::Open, Quotas::default());
        (dir, store)
    }

    fn append(store: &SqliteStore, doc: DocRef, hash: u8, blob: &[u8]) -> Appended {
        let item =
            Append { space: SPACE, doc, author: DEVICE, hash: [hash; 32], blob: blob.to_vec(), max_docs: 10 };
        store.append_many(std::slice::from_ref(&item)).pop().unwrap()
    }

    fn snapshot(store: &SqliteStore, covers: u64, blob: &[u8]) -> Result<(), StoreError> {
        store.snapshot(&Snapshot { space: SPACE, doc: DOC, author: DEVICE, covers, blob: blob.to_vec() })
    }

    fn read_all(store: &SqliteStore, after: u64) -> Vec<Item> {
        store.read(SPACE, DOC, after, 100, usize::MAX).unwrap()
    }

    #[test]
    fn tidying_up_folds_the_log_in_and_gives_freed_pages_back() {
        let (dir, store) = store();
        let file = |name: &str| std::fs::metadata(dir.path().join(name)).map_or(0, |m| m.len());
        for i in 0..200u32 {
            let hash = [i.to_le_bytes(), [0; 4], [0; 4], [0; 4], [0; 4], [0; 4], [0; 4], [0; 4]].concat();
            let item = Append {
                space: SPACE,
                doc: DOC,
                author: DEVICE,
                hash: hash.try_into().unwrap(),
                blob: vec![7; 8 * 1024],
                max_docs: 10,
            };
            store.append_many(std::slice::from_ref(&item)).pop().unwrap().unwrap();
        }
        snapshot(&store, 200, b"everything").unwrap();
        let before = file("relay.sqlite3") + file("relay.sqlite3-wal");
        assert!(file("relay.sqlite3-wal") > 0);
        store.maintain().unwrap();
        assert_eq!(file("relay.sqlite3-wal"), 0, "the log is folded in");
        let after = file("relay.sqlite3");
        assert!(after * 10 < before, "1.6 MB of covered blobs given back: {before} -> {after} bytes");
        // Nothing stored changed.
        assert_eq!(
            read_all(&store, 0),
            [Item::Snapshot { doc: DOC, covers: 200, blob: b"everything".to_vec() }]
        );
    }

    #[test]
    fn a_version_one_database_is_migrated_with_its_usage_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO documents (space, doc, last_seq, covers, snapshot) VALUES (?1, ?2, 2, 1, X'0102')",
                params![&SPACE.0, &DOC.0],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO blobs (space, doc, seq, hash, body) VALUES (?1, ?2, 2, X'01', X'010203')",
                params![&SPACE.0, &DOC.0],
            )
            .unwrap();
            // The blob the snapshot covers, its body gone.
            conn.execute(
                "INSERT INTO blobs (space, doc, seq, hash, body) VALUES (?1, ?2, 1, zeroblob(32), X'')",
                params![&SPACE.0, &DOC.0],
            )
            .unwrap();
        }
        let store = SqliteStore::open(
            &path,
            StoreConfig { admission: Admission::Registered, quotas: Quotas::default() },
        )
        .unwrap();
        assert_eq!(store.totals().unwrap(), Totals { spaces: 1, documents: 1, blobs: 1, bytes: 5 });
        // Spaces from before registrations go on storing, under the open registration.
        assert!(store.unregistered(&[SPACE]).unwrap().is_empty());
        assert_eq!(read_all(&store, 0).len(), 2);
        // The covered blob left the log, and is still known when a device sends it again.
        assert_eq!(append(&store, DOC, 0, b"sent again").unwrap(), (1, false));
        assert_eq!(read_all(&store, 0).len(), 2);
    }
}
