//! Moving a relay from its SQLite file to PostgreSQL (`server copy-to-postgres`): every table
//! copied in one transaction into an empty database, then read back from both and compared,
//! value by value (a SHA-256 of each table, in key order). Run it with the relay stopped; start
//! the instances on PostgreSQL once it says the copy is verified.

use std::path::Path;

use postgres::types::ToSql;
use rusqlite::{OpenFlags, types::ValueRef};
use sha2::{Digest, Sha256};

use super::{PgStore, SqliteStore, StoreConfig, StoreError};

/// How a column's values are read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bytes,
    Int,
    Text,
}

/// A table's name, its columns, and its key (the order rows are compared in).
type Table = (&'static str, &'static [(&'static str, Kind)], &'static str);

/// Every table the relay keeps.
const TABLES: &[Table] = &[
    (
        "registrations",
        &[
            ("id", Kind::Bytes),
            ("label", Kind::Text),
            ("quota", Kind::Int),
            ("bytes", Kind::Int),
            ("created_ms", Kind::Int),
            ("revoked_ms", Kind::Int),
        ],
        "id",
    ),
    (
        "spaces",
        &[
            ("space", Kind::Bytes),
            ("registration", Kind::Bytes),
            ("bytes", Kind::Int),
            ("documents", Kind::Int),
        ],
        "space",
    ),
    ("devices", &[("device", Kind::Bytes), ("bytes", Kind::Int)], "device"),
    (
        "totals",
        &[
            ("id", Kind::Int),
            ("spaces", Kind::Int),
            ("documents", Kind::Int),
            ("blobs", Kind::Int),
            ("bytes", Kind::Int),
        ],
        "id",
    ),
    (
        "documents",
        &[
            ("space", Kind::Bytes),
            ("doc", Kind::Bytes),
            ("last_seq", Kind::Int),
            ("covers", Kind::Int),
            ("snapshot", Kind::Bytes),
            ("snapshot_author", Kind::Bytes),
        ],
        "space, doc",
    ),
    (
        "blobs",
        &[
            ("space", Kind::Bytes),
            ("doc", Kind::Bytes),
            ("seq", Kind::Int),
            ("hash", Kind::Bytes),
            ("body", Kind::Bytes),
            ("author", Kind::Bytes),
        ],
        "space, doc, seq",
    ),
    (
        "covered",
        &[("space", Kind::Bytes), ("doc", Kind::Bytes), ("hash", Kind::Bytes), ("seq", Kind::Int)],
        "space, doc, hash",
    ),
    (
        "membership",
        &[("space", Kind::Bytes), ("id", Kind::Bytes), ("seq", Kind::Int), ("body", Kind::Bytes)],
        "space, id",
    ),
    ("erased", &[("space", Kind::Bytes), ("erased_ms", Kind::Int)], "space"),
    ("member_devices", &[("device", Kind::Bytes), ("space", Kind::Bytes)], "device, space"),
];

/// One value, as both databases hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Bytes(Option<Vec<u8>>),
    Int(Option<i64>),
    Text(Option<String>),
}

impl Value {
    fn digest(&self, hash: &mut Sha256) {
        let (tag, bytes): (u8, Option<Vec<u8>>) = match self {
            Value::Bytes(v) => (1, v.clone()),
            Value::Int(v) => (2, v.map(|v| v.to_le_bytes().to_vec())),
            Value::Text(v) => (3, v.as_ref().map(|v| v.as_bytes().to_vec())),
        };
        hash.update([tag]);
        match bytes {
            None => hash.update([0]),
            Some(bytes) => {
                hash.update([1]);
                hash.update((bytes.len() as u64).to_le_bytes());
                hash.update(bytes);
            }
        }
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Value::Bytes(v) => v,
            Value::Int(v) => v,
            Value::Text(v) => v,
        }
    }
}

fn sqlite_value(value: ValueRef<'_>, kind: Kind) -> Result<Value, StoreError> {
    let wrong =
        || StoreError::Interrupted(format!("a value of an unexpected type in the SQLite file: {value:?}"));
    Ok(match (kind, value) {
        (Kind::Bytes, ValueRef::Null) => Value::Bytes(None),
        (Kind::Int, ValueRef::Null) => Value::Int(None),
        (Kind::Text, ValueRef::Null) => Value::Text(None),
        (Kind::Bytes, ValueRef::Blob(b)) => Value::Bytes(Some(b.to_vec())),
        (Kind::Int, ValueRef::Integer(i)) => Value::Int(Some(i)),
        (Kind::Text, ValueRef::Text(t)) => Value::Text(Some(String::from_utf8_lossy(t).into_owned())),
        _ => return Err(wrong()),
    })
}

fn pg_value(row: &postgres::Row, i: usize, kind: Kind) -> Value {
    match kind {
        Kind::Bytes => Value::Bytes(row.get(i)),
        Kind::Int => Value::Int(row.get(i)),
        Kind::Text => Value::Text(row.get(i)),
    }
}

/// What was copied: per table, its rows and the digest both databases agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub tables: Vec<(&'static str, u64, [u8; 32])>,
}

/// Copies the relay's SQLite file at `sqlite` into the empty PostgreSQL database at `url`, then
/// verifies the copy.
///
/// # Errors
/// If either cannot be opened, the PostgreSQL database already holds a relay's data, or the
/// copy read back differs (then nothing is left half-done: the copy is one transaction, and a
/// failed verification says which table differs).
pub fn sqlite_to_postgres(
    sqlite: &Path,
    url: &str,
    config: StoreConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<Copied, StoreError> {
    if !sqlite.is_file() {
        return Err(StoreError::Interrupted(format!("no relay database at {}", sqlite.display())));
    }
    // Both schemas up to date first (the SQLite file may be from an older version).
    drop(SqliteStore::open(sqlite, config)?);
    drop(PgStore::open(url, config)?);
    let source = rusqlite::Connection::open_with_flags(sqlite, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut target = postgres::Client::connect(url, postgres::NoTls)?;
    let used: i64 = target
        .query_one(
            "SELECT (SELECT COUNT(*) FROM spaces) + (SELECT COUNT(*) FROM erased)
                    + (SELECT COUNT(*) FROM registrations WHERE id <> decode(repeat('00', 32), 'hex'))",
            &[],
        )?
        .get(0);
    if used > 0 {
        return Err(StoreError::Interrupted(
            "the PostgreSQL database already holds a relay's data: copy into an empty one".to_owned(),
        ));
    }
    let mut tx = target.transaction()?;
    for (table, columns, _) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let list = names.join(", ");
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let insert = match *table {
            // The rows the schema starts with are overwritten.
            "registrations" => format!(
                "INSERT INTO registrations ({list}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET
                 label = EXCLUDED.label, quota = EXCLUDED.quota, bytes = EXCLUDED.bytes,
                 created_ms = EXCLUDED.created_ms, revoked_ms = EXCLUDED.revoked_ms",
                placeholders.join(", ")
            ),
            "totals" => {
                "UPDATE totals SET spaces = $2, documents = $3, blobs = $4, bytes = $5 WHERE id = $1::BIGINT"
                    .to_owned()
            }
            _ => format!("INSERT INTO {table} ({list}) VALUES ({})", placeholders.join(", ")),
        };
        let insert = tx.prepare(&insert)?;
        let mut select = source.prepare(&format!("SELECT {list} FROM {table}"))?;
        let mut rows = select.query([])?;
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            let values = columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| sqlite_value(row.get_ref(i)?, *kind))
                .collect::<Result<Vec<Value>, StoreError>>()?;
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
            tx.execute(&insert, &params)?;
            count += 1;
        }
        progress(&format!("copied {count} rows of {table}"));
    }
    tx.commit()?;
    verify(&source, &mut target, progress)
}

/// Reads every table back from both databases, in key order, and compares their digests.
fn verify(
    source: &rusqlite::Connection,
    target: &mut postgres::Client,
    progress: &mut dyn FnMut(&str),
) -> Result<Copied, StoreError> {
    let mut tables = Vec::new();
    for (table, columns, key) in TABLES {
        let list = columns.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT {list} FROM {table} ORDER BY {key}");
        // (PostgreSQL reads every integer as a BIGINT, as SQLite does.)
        let cast: Vec<String> = columns
            .iter()
            .map(
                |(name, kind)| {
                    if *kind == Kind::Int { format!("{name}::BIGINT") } else { (*name).to_owned() }
                },
            )
            .collect();
        let pg_sql = format!("SELECT {} FROM {table} ORDER BY {key}", cast.join(", "));
        let (mut from, mut to) = (Sha256::new(), Sha256::new());
        let mut count = 0u64;
        let mut statement = source.prepare(&sql)?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            for (i, (_, kind)) in columns.iter().enumerate() {
                sqlite_value(row.get_ref(i)?, *kind)?.digest(&mut from);
            }
            count += 1;
        }
        let copied = target.query(&pg_sql, &[])?;
        for row in &copied {
            for (i, (_, kind)) in columns.iter().enumerate() {
                pg_value(row, i, *kind).digest(&mut to);
            }
        }
        let (from, to): ([u8; 32], [u8; 32]) = (from.finalize().into(), to.finalize().into());
        if from != to || count != copied.len() as u64 {
            return Err(StoreError::Interrupted(format!(
                "the copy of {table} differs from the SQLite file ({count} rows there, {} here)",
                copied.len()
            )));
        }
        progress(&format!("verified {table}: {count} rows identical"));
        tables.push((*table, count, from));
    }
    Ok(Copied { tables })
}
