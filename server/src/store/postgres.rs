//! The store for several relay instances: PostgreSQL, chosen with `--database-url` (or
//! `AMPLIFY_DATABASE_URL`). The same log, deduplication, snapshots, quotas and limits as
//! [`super::SqliteStore`], and the same guarantees: a commit is durable (PostgreSQL's own
//! `synchronous_commit`) before anything is acknowledged.
//!
//! Writes from every instance take one transaction-scoped advisory lock, so they happen one
//! transaction at a time, as SQLite's single writer does: numbering per document, quotas and
//! totals stay exact without row-lock ordering (and so without deadlocks), and each
//! instance's group commit still makes one transaction of many blobs. Reads run on a small pool
//! and never wait for writes.
//!
//! Fan-out across instances is PostgreSQL's own LISTEN/NOTIFY: a write's transaction also
//! notifies (space, document, sequence), delivered to every listener when, and only when, it
//! commits, in commit order. An instance reads the blob itself from the store. Presence, which
//! is never stored, travels in the notification. A listener that loses its connection says so
//! ([`Change::Lost`]): its sessions read what they may have missed from the store.
//!
//! The schema is versioned in `amplify_schema` and migrated at open, under a lock, so instances
//! starting together migrate once.

use std::{
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use amplify::{DeviceId, DocRef, RegistrationId, SpaceId};
use base64::{Engine as _, engine::general_purpose::STANDARD_NO_PAD as BASE64};
use std::collections::HashMap;

use postgres::{
    Client, NoTls, Row, Statement, Transaction, fallible_iterator::FallibleIterator, types::ToSql,
};

use super::{
    Admission, Append, Appended, Change, DocInfo, Item, OPEN_REGISTRATION, Registration, Scope, Snapshot,
    Store, StoreConfig, StoreError, Totals, Usage, now_ms,
};

/// Readers kept open per instance.
const READERS: usize = 4;

/// The channel every instance listens on.
const CHANNEL: &str = "amplify_relay";

/// The advisory lock every write transaction takes (any number: this one spells "AMPL").
const WRITE_LOCK: i64 = 0x414D_504C;

/// The advisory lock migrations take.
const MIGRATE_LOCK: i64 = 0x414D_504D;

/// How long a relay starting waits for its database.
const OPEN_WAIT: Duration = Duration::from_secs(30);
/// How long a connection whose statement failed has to answer an empty query before it is
/// taken for ended (see `ClientGuard::ended`).
const CHECK_WAIT: Duration = Duration::from_secs(2);

/// PostgreSQL refuses a notification payload of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

/// Each migration takes the schema from the version before it to its own number.
const MIGRATIONS: &[&str] = &[
    // 1: everything the SQLite store's five versions hold.
    "CREATE TABLE documents (
         space BYTEA NOT NULL,
         doc BYTEA NOT NULL,
         last_seq BIGINT NOT NULL,
         covers BIGINT NOT NULL DEFAULT 0,
         snapshot BYTEA,
         snapshot_author BYTEA,
         PRIMARY KEY (space, doc)
     );
     CREATE TABLE blobs (
         space BYTEA NOT NULL,
         doc BYTEA NOT NULL,
         seq BIGINT NOT NULL,
         hash BYTEA NOT NULL,
         body BYTEA NOT NULL,
         author BYTEA,
         PRIMARY KEY (space, doc, seq)
     );
     CREATE UNIQUE INDEX blobs_by_hash ON blobs (space, doc, hash);
     -- Sealed bytes do not compress: store them without trying.
     ALTER TABLE blobs ALTER COLUMN body SET STORAGE EXTERNAL;
     ALTER TABLE documents ALTER COLUMN snapshot SET STORAGE EXTERNAL;
     CREATE TABLE covered (
         space BYTEA NOT NULL,
         doc BYTEA NOT NULL,
         hash BYTEA NOT NULL,
         seq BIGINT NOT NULL,
         PRIMARY KEY (space, doc, hash)
     );
     CREATE TABLE registrations (
         id BYTEA PRIMARY KEY,
         label TEXT NOT NULL,
         quota BIGINT NOT NULL,
         bytes BIGINT NOT NULL DEFAULT 0,
         created_ms BIGINT NOT NULL,
         revoked_ms BIGINT
     );
     CREATE TABLE spaces (
         space BYTEA PRIMARY KEY,
         registration BYTEA NOT NULL,
         bytes BIGINT NOT NULL DEFAULT 0,
         documents BIGINT NOT NULL DEFAULT 0
     );
     CREATE INDEX spaces_by_registration ON spaces (registration);
     CREATE TABLE devices (device BYTEA PRIMARY KEY, bytes BIGINT NOT NULL DEFAULT 0);
     CREATE TABLE totals (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         spaces BIGINT NOT NULL,
         documents BIGINT NOT NULL,
         blobs BIGINT NOT NULL,
         bytes BIGINT NOT NULL
     );
     INSERT INTO totals (id, spaces, documents, blobs, bytes) VALUES (1, 0, 0, 0, 0);
     INSERT INTO registrations (id, label, quota, created_ms)
         VALUES (decode(repeat('00', 32), 'hex'), 'open admission, and spaces from before registrations', 0, 0);
     CREATE TABLE membership (
         space BYTEA NOT NULL,
         id BYTEA NOT NULL,
         seq BIGINT NOT NULL,
         body BYTEA NOT NULL,
         PRIMARY KEY (space, id)
     );
     CREATE INDEX membership_by_seq ON membership (space, seq);
     CREATE TABLE erased (space BYTEA PRIMARY KEY, erased_ms BIGINT NOT NULL);
     CREATE TABLE member_devices (
         device BYTEA NOT NULL,
         space BYTEA NOT NULL,
         PRIMARY KEY (device, space)
     );
     CREATE INDEX member_devices_by_space ON member_devices (space);",
];

/// A connection made again when it was lost (the database restarted, a network blip), with the
/// statements prepared on it (preparing costs a round trip and the server's parsing; the hot
/// path's statements are prepared once per connection).
struct Conn {
    url: String,
    client: Mutex<Option<Client>>,
    statements: Mutex<HashMap<&'static str, Statement>>,
}

impl Conn {
    fn new(url: &str) -> Conn {
        Conn { url: url.to_owned(), client: Mutex::new(None), statements: Mutex::default() }
    }

    /// The live connection, connecting first if there is none (or it was lost).
    fn get(&self) -> Result<ClientGuard<'_>, StoreError> {
        let guard = self.client.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.live(guard)
    }

    /// A new connection in place of `guard`'s, which ended.
    fn renew<'a>(&'a self, mut guard: MutexGuard<'a, Option<Client>>) -> Result<ClientGuard<'a>, StoreError> {
        *guard = None;
        self.live(guard)
    }

    fn live<'a>(&'a self, mut guard: MutexGuard<'a, Option<Client>>) -> Result<ClientGuard<'a>, StoreError> {
        if guard.as_ref().is_none_or(Client::is_closed) {
            self.statements.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
            *guard = Some(connect(&self.url)?);
        }
        Ok(ClientGuard { client: guard, statements: &self.statements })
    }

    /// Runs `read` on the live connection. The database may have ended a connection while it
    /// sat idle (a restart, a failover, an administrator); that shows only when it is next
    /// used, which then fails. A read that failed because its connection turned out closed
    /// runs once more, on a new one: the client never sees the old connection's end.
    fn read<'a, R>(
        &'a self,
        guard: MutexGuard<'a, Option<Client>>,
        mut read: impl FnMut(&mut ClientGuard<'a>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut client = self.live(guard)?;
        match read(&mut client) {
            Err(e) if client.ended() => {
                tracing::info!(error = %e, "a connection to the database had ended; reading on a new one");
                read(&mut self.renew(client.client)?)
            }
            result => result,
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Closing a connection blocks on its own little runtime, which must not happen on an
        // async worker (the hub may be dropped on one): close it on a thread of its own.
        let client = self.client.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(client) = client {
            let _ = std::thread::Builder::new().name("relay-db-close".to_owned()).spawn(move || drop(client));
        }
    }
}

struct ClientGuard<'a> {
    client: MutexGuard<'a, Option<Client>>,
    statements: &'a Mutex<HashMap<&'static str, Statement>>,
}

impl ClientGuard<'_> {
    /// Whether this connection has ended: closed, or no longer answering. The database's
    /// goodbye (a restart, `pg_terminate_backend`) can arrive as the failed statement's error
    /// before the client has seen its socket close, so `is_closed` alone would miss it.
    fn ended(&mut self) -> bool {
        self.is_closed() || self.is_valid(CHECK_WAIT).is_err()
    }

    /// `sql` prepared on this connection, once.
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        let statements = self.statements;
        prepare_once(statements, sql, |sql| self.prepare(sql))
    }
}

fn prepare_once(
    statements: &Mutex<HashMap<&'static str, Statement>>,
    sql: &'static str,
    prepare: impl FnOnce(&str) -> Result<Statement, postgres::Error>,
) -> Result<Statement, StoreError> {
    let mut cache = statements.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(statement) = cache.get(sql) {
        return Ok(statement.clone());
    }
    let statement = prepare(sql)?;
    cache.insert(sql, statement.clone());
    Ok(statement)
}

impl std::ops::Deref for ClientGuard<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("connected in Conn::get")
    }
}

impl std::ops::DerefMut for ClientGuard<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("connected in Conn::get")
    }
}

/// A write transaction (or a savepoint in one) whose statements are prepared once per
/// connection.
struct Tx<'a> {
    tx: Transaction<'a>,
    statements: &'a Mutex<HashMap<&'static str, Statement>>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl Tx<'_> {
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        let statements = self.statements;
        prepare_once(statements, sql, |sql| self.tx.prepare(sql))
    }

    fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64, StoreError> {
        let statement = self.prepared(sql)?;
        Ok(self.tx.execute(&statement, params)?)
    }

    fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        let statement = self.prepared(sql)?;
        Ok(self.tx.query(&statement, params)?)
    }

    fn query_opt(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>, StoreError> {
        let statement = self.prepared(sql)?;
        Ok(self.tx.query_opt(&statement, params)?)
    }

    fn query_one(&mut self, sql: &'static str, params: Params<'_>) -> Result<Row, StoreError> {
        let statement = self.prepared(sql)?;
        Ok(self.tx.query_one(&statement, params)?)
    }

    fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }

    /// A savepoint in this transaction: dropped without `commit`, it rolls back its writes alone.
    fn savepoint(&mut self) -> Result<Tx<'_>, StoreError> {
        Ok(Tx { tx: self.tx.transaction()?, statements: self.statements })
    }
}

fn connect(url: &str) -> Result<Client, StoreError> {
    let mut config: postgres::Config =
        url.parse().map_err(|e| StoreError::Unavailable(format!("the database URL is not valid: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    config.application_name("amplify-relay");
    config.connect(NoTls).map_err(|e| StoreError::Unavailable(format!("cannot reach the database: {e}")))
}

/// See the module documentation.
pub struct PgStore {
    writer: Conn,
    readers: Vec<Conn>,
    next_reader: AtomicUsize,
    config: StoreConfig,
    /// Payloads for the notifier thread (see [`Store::announce`]).
    announcer: std::sync::mpsc::SyncSender<String>,
    /// This instance's name in notifications, so it skips its own.
    origin: u64,
    changes: Mutex<Option<tokio::sync::mpsc::Receiver<Change>>>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("origin", &self.origin).finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What the items of a batch decided so far take, and the rows they write (see
/// [`PgStore::append_batch`]).
#[derive(Default)]
struct Batch<'i> {
    /// Blobs the batch stores, by hash: the same blob twice in a batch is stored once.
    hashes: HashMap<(SpaceId, DocRef, [u8; 32]), u64>,
    /// Each document's last sequence number now.
    documents: HashMap<(SpaceId, DocRef), u64>,
    /// Bytes and documents each space grows by.
    spaces: HashMap<SpaceId, (i64, i64)>,
    registrations: HashMap<[u8; 32], i64>,
    devices: HashMap<DeviceId, i64>,
    relay: Growth,
    blobs: NewBlobs<'i>,
}

#[derive(Default)]
struct Growth {
    bytes: i64,
    blobs: i64,
    documents: i64,
}

/// The batch's new blobs, column by column (sent as arrays), and their notifications.
#[derive(Default)]
struct NewBlobs<'i> {
    space: Vec<&'i [u8]>,
    doc: Vec<&'i [u8]>,
    seq: Vec<i64>,
    hash: Vec<&'i [u8]>,
    body: Vec<&'i [u8]>,
    author: Vec<&'i [u8]>,
    notices: Vec<String>,
}

fn n(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn u(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Brings the schema to the newest version, each step in its own transaction, under a lock:
/// instances starting together migrate once, and running it again does nothing.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    client.batch_execute("CREATE TABLE IF NOT EXISTS amplify_schema (version INTEGER NOT NULL)")?;
    loop {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])?;
        let version: i64 =
            tx.query_one("SELECT COALESCE(MAX(version), 0)::BIGINT FROM amplify_schema", &[])?.get(0);
        let Some(step) = MIGRATIONS.get(version as usize) else { return Ok(()) };
        tx.batch_execute(step)?;
        tx.execute("INSERT INTO amplify_schema (version) VALUES ($1)", &[&(version as i32 + 1)])?;
        tx.commit()?;
        tracing::info!(version = version + 1, "migrated the relay's PostgreSQL database");
    }
}

impl PgStore {
    /// Connects to the database at `url` and brings its schema up to date; then listens for the
    /// other instances' changes.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the database cannot be reached (say which, so the
    /// operator can act), or an error from a migration.
    pub fn open(url: &str, config: StoreConfig) -> Result<PgStore, StoreError> {
        let writer = Conn::new(url);
        {
            let mut client = PgStore::first_connection(&writer)?;
            migrate(&mut client)?;
            client.execute(
                "UPDATE registrations SET quota = $1 WHERE id = $2",
                &[&n(config.quotas.open_registration), &OPEN_REGISTRATION.0.as_slice()],
            )?;
        }
        let mut origin = [0u8; 8];
        getrandom::fill(&mut origin).map_err(|e| StoreError::Interrupted(e.to_string()))?;
        let origin = u64::from_le_bytes(origin);
        let stop = Arc::new(AtomicBool::new(false));
        let (send, changes) = tokio::sync::mpsc::channel(4096);
        let listener = Listener { url: url.to_owned(), origin, stop: stop.clone(), send };
        std::thread::Builder::new()
            .name("relay-listener".to_owned())
            .spawn(move || listener.run())
            .map_err(|e| StoreError::Interrupted(e.to_string()))?;
        let (announcer, announced) = std::sync::mpsc::sync_channel::<String>(1024);
        let notifier = Conn::new(url);
        std::thread::Builder::new()
            .name("relay-notifier".to_owned())
            .spawn(move || {
                // Ends when the store, the only sender, is dropped.
                for payload in announced {
                    let sent = notifier
                        .get()
                        .and_then(|mut c| Ok(c.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])?));
                    if let Err(e) = sent {
                        tracing::debug!(error = %e, "could not tell the other instances");
                    }
                }
            })
            .map_err(|e| StoreError::Interrupted(e.to_string()))?;
        Ok(PgStore {
            writer,
            announcer,
            readers: (0..READERS).map(|_| Conn::new(url)).collect(),
            next_reader: AtomicUsize::new(0),
            config,
            origin,
            changes: Mutex::new(Some(changes)),
            stop,
        })
    }

    /// The first connection, waited for: a relay often starts before its database does. Each
    /// failed try says why; after [`OPEN_WAIT`] the last reason is the error.
    fn first_connection(writer: &Conn) -> Result<ClientGuard<'_>, StoreError> {
        let start = std::time::Instant::now();
        loop {
            match writer.get() {
                Ok(client) => return Ok(client),
                Err(e) if start.elapsed() < OPEN_WAIT => {
                    tracing::warn!(error = %e, "waiting for the database");
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs `read` on a free reader if there is one, else on the next in turn (see
    /// [`Conn::read`]: it may run twice).
    fn reading<R>(
        &self,
        read: impl FnMut(&mut ClientGuard<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        for conn in &self.readers {
            if let Ok(guard) = conn.client.try_lock() {
                return conn.read(guard, read);
            }
        }
        let conn = &self.readers[self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len()];
        conn.read(conn.client.lock().unwrap_or_else(std::sync::PoisonError::into_inner), read)
    }

    /// A write transaction: it holds the relay's write lock until it ends.
    ///
    /// A writer connection the database ended while it sat idle fails at `BEGIN`, before `f`
    /// has run: the transaction then starts again on a new connection. A failure after that is
    /// the transaction's own and is not retried (its commit may have happened).
    fn write<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<R, StoreError>) -> Result<R, StoreError> {
        let mut client = self.writer.get()?;
        let statements = client.statements;
        let not_begun = match client.transaction() {
            Ok(tx) => return PgStore::locked(Tx { tx, statements }, f),
            Err(e) => e,
        };
        if !client.ended() {
            return Err(not_begun.into());
        }
        tracing::info!(error = %not_begun, "the connection to the database had ended; writing on a new one");
        let mut client = self.writer.renew(client.client)?;
        let tx = client.transaction()?;
        PgStore::locked(Tx { tx, statements }, f)
    }

    /// Runs `f` in `tx` under the relay's write lock, and commits.
    fn locked<R>(
        mut tx: Tx<'_>,
        f: impl FnOnce(&mut Tx<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        let result = f(&mut tx)?;
        tx.commit()?;
        Ok(result)
    }

    /// Notifies every instance when `tx` commits.
    fn notify(&self, tx: &mut Tx<'_>, change: &Change) -> Result<(), StoreError> {
        if let Some(payload) = encode_change(self.origin, change) {
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])?;
        }
        Ok(())
    }

    /// The registration `space` counts under, if it may store anything (see the SQLite store).
    fn admitted(&self, tx: &mut Tx<'_>, space: SpaceId) -> Result<Option<RegistrationId>, StoreError> {
        let key = space.0.as_slice();
        if tx.query_opt("SELECT 1 FROM erased WHERE space = $1", &[&key])?.is_some() {
            return Ok(None);
        }
        let row = tx.query_opt(
            "SELECT s.registration, r.revoked_ms FROM spaces s
             JOIN registrations r ON r.id = s.registration WHERE s.space = $1",
            &[&key],
        )?;
        match row {
            Some(row) => {
                let revoked: Option<i64> = row.get(1);
                if revoked.is_some() {
                    return Ok(None);
                }
                let registration: Vec<u8> = row.get(0);
                Ok(<[u8; 32]>::try_from(registration).ok().map(RegistrationId))
            }
            None if self.config.admission == Admission::Open => {
                tx.execute(
                    "INSERT INTO spaces (space, registration) VALUES ($1, $2)",
                    &[&key, &OPEN_REGISTRATION.0.as_slice()],
                )?;
                tx.execute("UPDATE totals SET spaces = spaces + 1 WHERE id = 1", &[])?;
                Ok(Some(OPEN_REGISTRATION))
            }
            None => Ok(None),
        }
    }

    /// Refuses `grow` more bytes if any scope would pass its quota.
    fn check_quotas(
        &self,
        tx: &mut Tx<'_>,
        space: SpaceId,
        registration: RegistrationId,
        device: DeviceId,
        grow: u64,
    ) -> Result<(), StoreError> {
        let row = tx.query_one(
            "SELECT (SELECT bytes FROM spaces WHERE space = $1), r.bytes, r.quota,
                    (SELECT bytes FROM devices WHERE device = $3), (SELECT bytes FROM totals WHERE id = 1)
             FROM registrations r WHERE r.id = $2",
            &[&space.0.as_slice(), &registration.0.as_slice(), &device.0.as_slice()],
        )?;
        let usage = Usage {
            space: u(row.get::<_, Option<i64>>(0).unwrap_or(0)),
            registration: u(row.get(1)),
            registration_quota: u(row.get(2)),
            device: u(row.get::<_, Option<i64>>(3).unwrap_or(0)),
            relay: u(row.get(4)),
        };
        self.config.quotas.admit(&usage, grow)
    }

    /// Adds `delta` bytes to the space's, its registration's and the relay's usage.
    fn account(
        tx: &mut Tx<'_>,
        space: SpaceId,
        registration: RegistrationId,
        delta: i64,
    ) -> Result<(), StoreError> {
        tx.execute("UPDATE spaces SET bytes = bytes + $2 WHERE space = $1", &[&space.0.as_slice(), &delta])?;
        tx.execute(
            "UPDATE registrations SET bytes = bytes + $2 WHERE id = $1",
            &[&registration.0.as_slice(), &delta],
        )?;
        tx.execute("UPDATE totals SET bytes = bytes + $1 WHERE id = 1", &[&delta])?;
        Ok(())
    }

    fn account_device(tx: &mut Tx<'_>, device: &[u8], delta: i64) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO devices (device, bytes) VALUES ($1, GREATEST($2::BIGINT, 0))
             ON CONFLICT (device) DO UPDATE SET bytes = GREATEST(devices.bytes + $2::BIGINT, 0)",
            &[&device, &delta],
        )?;
        Ok(())
    }

    /// A whole batch inside the open transaction, in two round trips whatever its size (the
    /// database is across a network: round trips are the cost that counts): one read of
    /// everything every item is checked against, one statement for every write and every
    /// notification. Items are decided in order against what the items before them took, as
    /// if appended one by one; a refused item writes nothing (a space admitted openly stays
    /// admitted).
    fn append_batch(&self, tx: &mut Tx<'_>, items: &[Append]) -> Result<Vec<Appended>, StoreError> {
        let column = |f: fn(&Append) -> &[u8]| items.iter().map(f).collect::<Vec<&[u8]>>();
        let (spaces, docs, hashes, authors) = (
            column(|a| a.space.0.as_slice()),
            column(|a| a.doc.0.as_slice()),
            column(|a| a.hash.as_slice()),
            column(|a| a.author.0.as_slice()),
        );
        let read = |tx: &mut Tx<'_>| {
            tx.query(
                "SELECT
                     (SELECT seq FROM blobs b WHERE b.space = q.space AND b.doc = q.doc AND b.hash = q.hash
                      UNION ALL SELECT seq FROM covered c
                      WHERE c.space = q.space AND c.doc = q.doc AND c.hash = q.hash LIMIT 1),
                     EXISTS (SELECT 1 FROM erased e WHERE e.space = q.space),
                     s.registration, r.revoked_ms, s.bytes, s.documents, r.bytes, r.quota,
                     (SELECT last_seq FROM documents d WHERE d.space = q.space AND d.doc = q.doc),
                     (SELECT bytes FROM devices v WHERE v.device = q.author),
                     (SELECT bytes FROM totals WHERE id = 1)
                 FROM unnest($1::BYTEA[], $2::BYTEA[], $3::BYTEA[], $4::BYTEA[]) WITH ORDINALITY
                      AS q(space, doc, hash, author, i)
                 LEFT JOIN spaces s ON s.space = q.space
                 LEFT JOIN registrations r ON r.id = s.registration
                 ORDER BY q.i",
                &[&spaces, &docs, &hashes, &authors],
            )
        };
        let mut rows = read(tx)?;
        // Spaces not seen before are admitted under open admission (or refused below).
        let unseen: Vec<&[u8]> = rows
            .iter()
            .zip(&spaces)
            .filter(|(row, _)| row.get::<_, Option<Vec<u8>>>(2).is_none() && !row.get::<_, bool>(1))
            .map(|(_, space)| *space)
            .collect();
        if !unseen.is_empty() && self.config.admission == Admission::Open {
            tx.execute(
                "WITH added AS (
                     INSERT INTO spaces (space, registration) SELECT DISTINCT unnest($1::BYTEA[]), $2::BYTEA
                     ON CONFLICT DO NOTHING RETURNING 1
                 )
                 UPDATE totals SET spaces = spaces + (SELECT COUNT(*) FROM added) WHERE id = 1",
                &[&unseen, &OPEN_REGISTRATION.0.as_slice()],
            )?;
            rows = read(tx)?;
        }

        let mut batch = Batch::default();
        let mut results = Vec::with_capacity(items.len());
        for (item, row) in items.iter().zip(&rows) {
            results.push(self.decide(&mut batch, item, row));
        }
        if batch.blobs.space.is_empty() {
            return Ok(results);
        }
        let Batch { blobs, documents, spaces, registrations, devices, relay, .. } = batch;
        let (document_keys, document_seqs): (Vec<_>, Vec<i64>) =
            documents.into_iter().map(|(key, seq)| (key, n(seq))).unzip();
        let (space_keys, space_counts): (Vec<_>, Vec<_>) = spaces.into_iter().unzip();
        let (registration_keys, registration_bytes): (Vec<_>, Vec<_>) = registrations.into_iter().unzip();
        let (device_keys, device_bytes): (Vec<_>, Vec<_>) = devices.into_iter().unzip();
        let (document_spaces, document_docs): (Vec<&[u8]>, Vec<&[u8]>) =
            document_keys.iter().map(|(s, d)| (s.0.as_slice(), d.0.as_slice())).unzip();
        let (space_bytes, space_documents): (Vec<i64>, Vec<i64>) = space_counts.into_iter().unzip();
        let space_keys: Vec<[u8; 32]> = space_keys.into_iter().map(|s| s.0).collect();
        let device_keys: Vec<[u8; 32]> = device_keys.into_iter().map(|d| d.0).collect();
        fn bytes(keys: &[[u8; 32]]) -> Vec<&[u8]> {
            keys.iter().map(|k| k.as_slice()).collect()
        }
        tx.execute(
            "WITH blob AS (
                 INSERT INTO blobs (space, doc, seq, hash, body, author)
                 SELECT * FROM unnest($1::BYTEA[], $2::BYTEA[], $3::BIGINT[], $4::BYTEA[], $5::BYTEA[], $6::BYTEA[])
             ), document AS (
                 INSERT INTO documents (space, doc, last_seq)
                 SELECT * FROM unnest($7::BYTEA[], $8::BYTEA[], $9::BIGINT[])
                 ON CONFLICT (space, doc) DO UPDATE SET last_seq = EXCLUDED.last_seq
             ), in_space AS (
                 UPDATE spaces s SET bytes = s.bytes + q.bytes, documents = s.documents + q.documents
                 FROM unnest($10::BYTEA[], $11::BIGINT[], $12::BIGINT[]) AS q(space, bytes, documents)
                 WHERE s.space = q.space
             ), in_registration AS (
                 UPDATE registrations r SET bytes = r.bytes + q.bytes
                 FROM unnest($13::BYTEA[], $14::BIGINT[]) AS q(id, bytes) WHERE r.id = q.id
             ), in_relay AS (
                 UPDATE totals SET bytes = bytes + $15, blobs = blobs + $16, documents = documents + $17
                 WHERE id = 1
             ), by_device AS (
                 INSERT INTO devices (device, bytes) SELECT * FROM unnest($18::BYTEA[], $19::BIGINT[])
                 ON CONFLICT (device) DO UPDATE SET bytes = GREATEST(devices.bytes + EXCLUDED.bytes, 0)
             )
             SELECT pg_notify($20, payload) FROM unnest($21::TEXT[]) AS q(payload)",
            &[
                &blobs.space,
                &blobs.doc,
                &blobs.seq,
                &blobs.hash,
                &blobs.body,
                &blobs.author,
                &document_spaces,
                &document_docs,
                &document_seqs,
                &bytes(&space_keys),
                &space_bytes,
                &space_documents,
                &bytes(&registration_keys),
                &registration_bytes,
                &relay.bytes,
                &relay.blobs,
                &relay.documents,
                &bytes(&device_keys),
                &device_bytes,
                &CHANNEL,
                &blobs.notices,
            ],
        )?;
        Ok(results)
    }

    /// One item of [`PgStore::append_batch`], against the stored state (`row`) and what the
    /// items before it in the batch took (`batch`).
    fn decide<'i>(&self, batch: &mut Batch<'i>, item: &'i Append, row: &Row) -> Appended {
        let Append { space, doc, author, hash, blob, max_docs } = item;
        if let Some(seq) = batch.hashes.get(&(*space, *doc, *hash)) {
            return Ok((*seq, false));
        }
        if let Some(seq) = row.get::<_, Option<i64>>(0) {
            return Ok((u(seq), false));
        }
        let registration =
            match (row.get::<_, bool>(1), row.get::<_, Option<Vec<u8>>>(2), row.get::<_, Option<i64>>(3)) {
                (false, Some(registration), None) => {
                    <[u8; 32]>::try_from(registration).map_err(|_| StoreError::NotRegistered)?
                }
                _ => return Err(StoreError::NotRegistered),
            };
        let (Some(space_bytes), Some(documents), Some(registration_bytes), Some(quota)) = (
            row.get::<_, Option<i64>>(4),
            row.get::<_, Option<i64>>(5),
            row.get::<_, Option<i64>>(6),
            row.get::<_, Option<i64>>(7),
        ) else {
            return Err(StoreError::NotRegistered);
        };
        let last = batch.documents.get(&(*space, *doc)).copied().or(row.get::<_, Option<i64>>(8).map(u));
        let (space_grown, space_new_docs) = batch.spaces.get(space).copied().unwrap_or((0, 0));
        let seq = match last {
            Some(last) => last + 1,
            None if u(documents + space_new_docs) >= *max_docs => {
                return Err(StoreError::TooManyDocuments(*max_docs));
            }
            None => 1,
        };
        let size = blob.len() as i64;
        let usage = Usage {
            space: u(space_bytes + space_grown),
            registration: u(registration_bytes + batch.registrations.get(&registration).copied().unwrap_or(0)),
            registration_quota: u(quota),
            device: u(
                row.get::<_, Option<i64>>(9).unwrap_or(0) + batch.devices.get(author).copied().unwrap_or(0)
            ),
            relay: u(row.get::<_, i64>(10) + batch.relay.bytes),
        };
        self.config.quotas.admit(&usage, size as u64)?;

        let new_doc = i64::from(seq == 1);
        batch.hashes.insert((*space, *doc, *hash), seq);
        batch.documents.insert((*space, *doc), seq);
        let grown = batch.spaces.entry(*space).or_default();
        *grown = (grown.0 + size, grown.1 + new_doc);
        *batch.registrations.entry(registration).or_default() += size;
        *batch.devices.entry(*author).or_default() += size;
        batch.relay.bytes += size;
        batch.relay.blobs += 1;
        batch.relay.documents += new_doc;
        let blobs = &mut batch.blobs;
        blobs.space.push(&space.0);
        blobs.doc.push(&doc.0);
        blobs.seq.push(n(seq));
        blobs.hash.push(hash);
        blobs.body.push(blob);
        blobs.author.push(&author.0);
        blobs.notices.push(
            encode_change(self.origin, &Change::Blob { space: *space, doc: *doc, seq }).unwrap_or_default(),
        );
        Ok((seq, true))
    }

    fn snapshot_in(&self, tx: &mut Tx<'_>, snap: &Snapshot) -> Result<(), StoreError> {
        let (s, d) = (snap.space.0.as_slice(), snap.doc.0.as_slice());
        let row = tx.query_opt(
            "SELECT last_seq, covers, LENGTH(snapshot)::BIGINT, snapshot_author FROM documents
             WHERE space = $1 AND doc = $2",
            &[&s, &d],
        )?;
        let (last, current, old_len, old_author): (u64, u64, Option<i64>, Option<Vec<u8>>) =
            row.map_or((0, 0, None, None), |row| (u(row.get(0)), u(row.get(1)), row.get(2), row.get(3)));
        if snap.covers > last || snap.covers == 0 {
            return Err(StoreError::SnapshotBeyondLog { covers: snap.covers, last });
        }
        if snap.covers <= current {
            return Ok(());
        }
        let Some(registration) = self.admitted(tx, snap.space)? else {
            return Err(StoreError::NotRegistered);
        };
        let range: [&(dyn postgres::types::ToSql + Sync); 4] = [&s, &d, &n(current), &n(snap.covers)];
        let covered: Vec<(Option<Vec<u8>>, i64, i64)> = tx
            .query(
                "SELECT author, SUM(LENGTH(body))::BIGINT, COUNT(*) FROM blobs
                 WHERE space = $1 AND doc = $2 AND seq > $3 AND seq <= $4 GROUP BY author",
                &range,
            )?
            .into_iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            .collect();
        let dropped: i64 = covered.iter().map(|(_, bytes, _)| bytes).sum();
        let count: i64 = covered.iter().map(|(_, _, n)| n).sum();
        let delta = snap.blob.len() as i64 - old_len.unwrap_or(0) - dropped;
        if delta > 0 {
            self.check_quotas(tx, snap.space, registration, snap.author, delta as u64)?;
        }
        tx.execute(
            "UPDATE documents SET covers = $3, snapshot = $4, snapshot_author = $5 WHERE space = $1 AND doc = $2",
            &[&s, &d, &n(snap.covers), &snap.blob.as_slice(), &snap.author.0.as_slice()],
        )?;
        tx.execute(
            "INSERT INTO covered (space, doc, hash, seq)
             SELECT space, doc, hash, seq FROM blobs WHERE space = $1 AND doc = $2 AND seq > $3 AND seq <= $4
             ON CONFLICT DO NOTHING",
            &range,
        )?;
        tx.execute("DELETE FROM blobs WHERE space = $1 AND doc = $2 AND seq > $3 AND seq <= $4", &range)?;
        tx.execute("UPDATE totals SET blobs = blobs - $1 WHERE id = 1", &[&count])?;
        PgStore::account(tx, snap.space, registration, delta)?;
        for (author, bytes, _) in &covered {
            if let Some(author) = author {
                PgStore::account_device(tx, author, -bytes)?;
            }
        }
        if let (Some(author), Some(len)) = (old_author, old_len) {
            PgStore::account_device(tx, &author, -len)?;
        }
        PgStore::account_device(tx, &snap.author.0, snap.blob.len() as i64)?;
        Ok(())
    }
}

impl Store for PgStore {
    fn append_many(&self, items: &[Append]) -> Vec<Appended> {
        let outcome = self.write(|tx| self.append_batch(tx, items));
        match outcome {
            Ok(results) => results,
            Err(e) => {
                tracing::error!(error = %e, "a batch of appends was not stored; its clients will send it again");
                let why = e.to_string();
                items.iter().map(|_| Err(StoreError::Unavailable(why.clone()))).collect()
            }
        }
    }

    fn snapshot_many(&self, items: &[Snapshot]) -> Vec<Result<(), StoreError>> {
        let outcome = self.write(|tx| {
            let mut results = Vec::with_capacity(items.len());
            for item in items {
                // Each item is its own savepoint: a refusal rolls back only its writes.
                let mut savepoint = tx.savepoint()?;
                let result = self.snapshot_in(&mut savepoint, item);
                match &result {
                    Ok(()) => savepoint.commit()?,
                    Err(StoreError::Postgres(e)) => {
                        return Err(StoreError::Interrupted(format!("a write in the batch failed: {e}")));
                    }
                    Err(_) => drop(savepoint),
                }
                results.push(result);
            }
            Ok(results)
        });
        match outcome {
            Ok(results) => results,
            Err(e) => {
                tracing::error!(error = %e, "a batch of snapshots was not stored; its clients will send them again");
                let why = e.to_string();
                items.iter().map(|_| Err(StoreError::Unavailable(why.clone()))).collect()
            }
        }
    }

    fn register(&self, space: SpaceId, registration: RegistrationId) -> Result<(), StoreError> {
        self.write(|tx| {
            let r = registration.0.as_slice();
            let live = tx.query_opt("SELECT revoked_ms FROM registrations WHERE id = $1", &[&r])?;
            let live = live.is_some_and(|row| row.get::<_, Option<i64>>(0).is_none());
            if !live || registration == OPEN_REGISTRATION {
                return Err(StoreError::UnknownRegistration);
            }
            let s = space.0.as_slice();
            let current = tx.query_opt("SELECT registration, bytes FROM spaces WHERE space = $1", &[&s])?;
            match current.map(|row| (row.get::<_, Vec<u8>>(0), row.get::<_, i64>(1))) {
                None => {
                    tx.execute("INSERT INTO spaces (space, registration) VALUES ($1, $2)", &[&s, &r])?;
                    tx.execute("UPDATE totals SET spaces = spaces + 1 WHERE id = 1", &[])?;
                }
                // A space admitted openly (or from before registrations) moves, with its bytes.
                Some((from, bytes)) if from == OPEN_REGISTRATION.0 => {
                    tx.execute("UPDATE spaces SET registration = $2 WHERE space = $1", &[&s, &r])?;
                    tx.execute(
                        "UPDATE registrations SET bytes = bytes - $2 WHERE id = $1",
                        &[&from, &bytes],
                    )?;
                    tx.execute("UPDATE registrations SET bytes = bytes + $2 WHERE id = $1", &[&r, &bytes])?;
                }
                Some(_) => {}
            }
            Ok(())
        })
    }

    fn unregistered(&self, spaces: &[SpaceId]) -> Result<Vec<SpaceId>, StoreError> {
        self.reading(|client| {
            let statement = client.prepare(
                "SELECT r.revoked_ms FROM spaces s JOIN registrations r ON r.id = s.registration WHERE s.space = $1",
            )?;
            let mut out = Vec::new();
            for space in spaces {
                let refused = match client.query_opt(&statement, &[&space.0.as_slice()])? {
                    Some(row) => row.get::<_, Option<i64>>(0).is_some(),
                    None => self.config.admission == Admission::Registered,
                };
                if refused {
                    out.push(*space);
                }
            }
            Ok(out)
        })
    }

    fn documents(&self, space: SpaceId) -> Result<Vec<DocInfo>, StoreError> {
        let rows = self.reading(|client| {
            Ok(client.query(
                "SELECT doc, covers, last_seq FROM documents WHERE space = $1",
                &[&space.0.as_slice()],
            )?)
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let doc = <[u8; 16]>::try_from(row.get::<_, Vec<u8>>(0)).ok()?;
                Some(DocInfo { doc: DocRef(doc), covers: u(row.get(1)), last: u(row.get(2)) })
            })
            .collect())
    }

    fn read(
        &self,
        space: SpaceId,
        doc: DocRef,
        after: u64,
        max_items: usize,
        max_bytes: usize,
    ) -> Result<Vec<Item>, StoreError> {
        self.reading(|client| {
            let (s, d) = (space.0.as_slice(), doc.0.as_slice());
            let mut items = Vec::new();
            let mut bytes = 0;
            let mut from = after;
            let statement =
                client.prepared("SELECT covers, snapshot FROM documents WHERE space = $1 AND doc = $2")?;
            let snapshot = client.query_opt(&statement, &[&s, &d])?;
            if let Some(row) = snapshot {
                let covers = u(row.get(0));
                if let Some(blob) = row.get::<_, Option<Vec<u8>>>(1)
                    && covers > after
                {
                    bytes += blob.len();
                    items.push(Item::Snapshot { doc, covers, blob });
                    from = covers;
                }
            }
            // The sizes first, so that a page reads only the bodies that fit its byte budget (but
            // at least one).
            let limit = i64::try_from(max_items).unwrap_or(i64::MAX);
            let statement = client.prepared(
                "SELECT seq, LENGTH(body)::BIGINT FROM blobs WHERE space = $1 AND doc = $2 AND seq > $3
                 ORDER BY seq LIMIT $4",
            )?;
            let sizes = client.query(&statement, &[&s, &d, &n(from), &limit])?;
            let mut upto = None;
            for row in sizes {
                if (upto.is_some() || !items.is_empty()) && bytes >= max_bytes {
                    break;
                }
                bytes += u(row.get(1)) as usize;
                upto = Some(row.get::<_, i64>(0));
            }
            let Some(upto) = upto else { return Ok(items) };
            let statement = client.prepared(
                "SELECT seq, body FROM blobs WHERE space = $1 AND doc = $2 AND seq > $3 AND seq <= $4 ORDER BY seq",
            )?;
            let rows = client.query(&statement, &[&s, &d, &n(from), &upto])?;
            items.extend(rows.into_iter().map(|row| Item::Blob { doc, seq: u(row.get(0)), blob: row.get(1) }));
            Ok(items)
        })
    }

    fn totals(&self) -> Result<Totals, StoreError> {
        let row = self.reading(|client| {
            Ok(client.query_one("SELECT spaces, documents, blobs, bytes FROM totals WHERE id = 1", &[])?)
        })?;
        Ok(Totals {
            spaces: u(row.get(0)),
            documents: u(row.get(1)),
            blobs: u(row.get(2)),
            bytes: u(row.get(3)),
        })
    }

    fn membership(&self, space: SpaceId) -> Result<Vec<Vec<u8>>, StoreError> {
        let rows = self.reading(|client| {
            Ok(client
                .query("SELECT body FROM membership WHERE space = $1 ORDER BY seq", &[&space.0.as_slice()])?)
        })?;
        Ok(rows.into_iter().map(|row| row.get(0)).collect())
    }

    fn add_membership(
        &self,
        space: SpaceId,
        ops: &[([u8; 32], Vec<u8>)],
        members: &[DeviceId],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let Some(registration) = self.admitted(tx, space)? else {
                return Err(StoreError::NotRegistered);
            };
            let s = space.0.as_slice();
            let next: i64 =
                tx.query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM membership WHERE space = $1", &[&s])?.get(0);
            let mut grow = 0i64;
            for (i, (id, body)) in ops.iter().enumerate() {
                let inserted = tx.execute(
                    "INSERT INTO membership (space, id, seq, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[&s, &id.as_slice(), &(next + i as i64), &body.as_slice()],
                )?;
                grow += inserted as i64 * body.len() as i64;
            }
            let space_bytes: i64 = tx.query_one("SELECT bytes FROM spaces WHERE space = $1", &[&s])?.get(0);
            if u(space_bytes) + u(grow) > self.config.quotas.space {
                return Err(StoreError::Full(Scope::Space));
            }
            PgStore::account(tx, space, registration, grow)?;
            tx.execute("DELETE FROM member_devices WHERE space = $1", &[&s])?;
            for device in members {
                tx.execute(
                    "INSERT INTO member_devices (device, space) VALUES ($1, $2)",
                    &[&device.0.as_slice(), &s],
                )?;
            }
            self.notify(tx, &Change::Members { space })
        })
    }

    fn spaces_of(&self, device: DeviceId, limit: usize) -> Result<Vec<SpaceId>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.reading(|client| {
            Ok(client.query(
                "SELECT space FROM member_devices WHERE device = $1 LIMIT $2",
                &[&device.0.as_slice(), &limit],
            )?)
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|row| Some(SpaceId(row.get::<_, Vec<u8>>(0).try_into().ok()?)))
            .collect())
    }

    fn erase(&self, space: SpaceId) -> Result<(), StoreError> {
        self.write(|tx| {
            let s = space.0.as_slice();
            let row =
                tx.query_opt("SELECT registration, bytes, documents FROM spaces WHERE space = $1", &[&s])?;
            let blobs: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM blobs b JOIN documents d ON d.space = b.space AND d.doc = b.doc
                     WHERE b.space = $1 AND b.seq > d.covers",
                    &[&s],
                )?
                .get(0);
            let authors: Vec<(Option<Vec<u8>>, i64)> = tx
                .query(
                    "SELECT author, SUM(LENGTH(body))::BIGINT FROM blobs WHERE space = $1 GROUP BY author",
                    &[&s],
                )?
                .into_iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
            for (author, bytes) in authors {
                if let Some(author) = author {
                    PgStore::account_device(tx, &author, -bytes)?;
                }
            }
            for table in ["blobs", "covered", "documents", "membership", "member_devices"] {
                tx.tx.execute(&format!("DELETE FROM {table} WHERE space = $1"), &[&s])?;
            }
            if let Some(row) = row {
                let (registration, bytes, documents): (Vec<u8>, i64, i64) =
                    (row.get(0), row.get(1), row.get(2));
                tx.execute(
                    "UPDATE registrations SET bytes = bytes - $2 WHERE id = $1",
                    &[&registration, &bytes],
                )?;
                tx.execute(
                    "UPDATE totals SET spaces = spaces - 1, documents = documents - $1, blobs = blobs - $2,
                     bytes = bytes - $3 WHERE id = 1",
                    &[&documents, &blobs, &bytes],
                )?;
                tx.execute("DELETE FROM spaces WHERE space = $1", &[&s])?;
            }
            tx.execute(
                "INSERT INTO erased (space, erased_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&s, &now_ms()],
            )?;
            self.notify(tx, &Change::Erased { space })
        })
    }

    fn issue_registration(&self, id: RegistrationId, label: &str, quota: u64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO registrations (id, label, quota, created_ms) VALUES ($1, $2, $3, $4)",
                &[&id.0.as_slice(), &label, &n(quota), &now_ms()],
            )?;
            Ok(())
        })
    }

    fn registrations(&self) -> Result<Vec<Registration>, StoreError> {
        let rows = self.reading(|client| {
            Ok(client.query(
                "SELECT r.id, r.label, r.quota, r.bytes, r.created_ms, r.revoked_ms,
                        (SELECT COUNT(*) FROM spaces s WHERE s.registration = r.id)
                 FROM registrations r ORDER BY r.created_ms",
                &[],
            )?)
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(Registration {
                    id: RegistrationId(<[u8; 32]>::try_from(row.get::<_, Vec<u8>>(0)).ok()?),
                    label: row.get(1),
                    quota: u(row.get(2)),
                    bytes: u(row.get(3)),
                    created_ms: row.get(4),
                    revoked_ms: row.get(5),
                    spaces: u(row.get(6)),
                })
            })
            .collect())
    }

    fn revoke_registration(&self, id: RegistrationId) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE registrations SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
                &[&id.0.as_slice(), &now_ms()],
            )?;
            Ok(changed > 0)
        })
    }

    fn set_registration_quota(&self, id: RegistrationId, quota: u64) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE registrations SET quota = $2 WHERE id = $1",
                &[&id.0.as_slice(), &n(quota)],
            )?;
            Ok(changed > 0)
        })
    }

    fn changes(&self) -> Option<tokio::sync::mpsc::Receiver<Change>> {
        self.changes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    fn announce(&self, change: &Change) {
        if let Some(payload) = encode_change(self.origin, change) {
            // Full: the notifier is behind, and presence is only a hint.
            let _ = self.announcer.try_send(payload);
        }
    }
}

/// `origin kind space [doc seq | doc frame]`, as text (a notification's payload is text).
fn encode_change(origin: u64, change: &Change) -> Option<String> {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let payload = match change {
        Change::Blob { space, doc, seq } => format!("{origin:x} b {} {} {seq}", hex(&space.0), hex(&doc.0)),
        Change::Members { space } => format!("{origin:x} m {}", hex(&space.0)),
        Change::Erased { space } => format!("{origin:x} e {}", hex(&space.0)),
        Change::Presence { space, doc, frame } => {
            format!("{origin:x} p {} {} {}", hex(&space.0), hex(&doc.0), BASE64.encode(frame.as_slice()))
        }
        Change::Lost => return None,
    };
    // Presence too large to pass on is dropped: it is only a hint, and the next one comes.
    (payload.len() < MAX_PAYLOAD).then_some(payload)
}

/// The change in a payload, and the instance it came from; `None` for a payload this version
/// does not read.
fn decode_change(payload: &str) -> Option<(u64, Change)> {
    fn bytes<const N: usize>(hex: &str) -> Option<[u8; N]> {
        if hex.len() != 2 * N {
            return None;
        }
        let mut out = [0u8; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(out)
    }
    let mut parts = payload.split(' ');
    let origin = u64::from_str_radix(parts.next()?, 16).ok()?;
    let kind = parts.next()?;
    let space = SpaceId(bytes(parts.next()?)?);
    let change = match kind {
        "b" => Change::Blob { space, doc: DocRef(bytes(parts.next()?)?), seq: parts.next()?.parse().ok()? },
        "m" => Change::Members { space },
        "e" => Change::Erased { space },
        "p" => Change::Presence {
            space,
            doc: DocRef(bytes(parts.next()?)?),
            frame: Arc::new(BASE64.decode(parts.next()?).ok()?),
        },
        _ => return None,
    };
    Some((origin, change))
}

/// The thread that listens for the other instances' changes, connecting again when its
/// connection is lost (and saying so: what came meanwhile is read from the store).
struct Listener {
    url: String,
    origin: u64,
    stop: Arc<AtomicBool>,
    send: tokio::sync::mpsc::Sender<Change>,
}

impl Listener {
    fn run(self) {
        let mut delay = Duration::from_millis(100);
        let mut first = true;
        while !self.stop.load(Ordering::Relaxed) {
            let mut client = match connect(&self.url).and_then(|mut c| {
                c.batch_execute(&format!("LISTEN {CHANNEL}"))?;
                Ok(c)
            }) {
                Ok(client) => client,
                Err(e) => {
                    tracing::warn!(error = %e, "not listening to the other relay instances; trying again");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            delay = Duration::from_millis(100);
            if !first && self.send.blocking_send(Change::Lost).is_err() {
                return;
            }
            first = false;
            loop {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                let next = client.notifications().timeout_iter(Duration::from_millis(500)).next();
                match next {
                    Ok(Some(notification)) => {
                        let Some((origin, change)) = decode_change(notification.payload()) else { continue };
                        if origin != self.origin && self.send.blocking_send(change).is_err() {
                            return;
                        }
                    }
                    Ok(None) => {
                        if client.is_closed() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the other relay instances' changes; listening again");
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_back_as_written_and_foreign_payloads_are_ignored() {
        let space = SpaceId([7; 32]);
        let doc = DocRef([9; 16]);
        for change in [
            Change::Blob { space, doc, seq: 42 },
            Change::Members { space },
            Change::Erased { space },
            Change::Presence { space, doc, frame: Arc::new(vec![1, 2, 3, 255]) },
        ] {
            let payload = encode_change(0xabc, &change).unwrap();
            assert_eq!(decode_change(&payload), Some((0xabc, change)));
        }
        assert_eq!(decode_change("not ours"), None);
        assert_eq!(decode_change("1 b 00"), None);
        let big = Change::Presence { space, doc, frame: Arc::new(vec![0; MAX_PAYLOAD]) };
        assert_eq!(encode_change(1, &big), None, "too large to pass on: dropped");
    }
}
