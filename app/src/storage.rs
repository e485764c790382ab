//! Documents on the device, in IndexedDB: a snapshot per document plus the changes appended
//! since, each write in one transaction.
//!
//! Object stores:
//! - `docs`: document id → `Uint8Array`, the last compacted snapshot (`Doc::save`).
//! - `changes`: auto-increment key → `{doc, bytes}`, incremental saves appended since the
//!   snapshot; index `by_doc` on `doc`.
//! - `set_aside`: auto-increment key → `{doc, kind, bytes, reason, at}`, records that could not be
//!   read. They are moved here, never overwritten or deleted, so nothing is lost for good.
//! - `kv`: small structured records (the account with its keys, the sync cursors), and per
//!   document the marks `unreadable/<doc>` (set aside whole) and `recover/<doc>` (a record was
//!   set aside: fetch the document again from the relay), written with the move to `set_aside`.
//! - `outbox`: auto-increment key → `{space, bytes}`, sealed blobs not yet acknowledged by the
//!   relay. A local save and its outbox entry are written in one transaction.
//!
//! This layer moves bytes; it does not know automerge. Deciding what is damaged is the caller's
//! job (`repo.rs`), which asks to set records aside.

use std::rc::Rc;

use idb::{
    CursorDirection, Database, DatabaseEvent, Factory, IndexParams, KeyPath, KeyRange, ObjectStore,
    ObjectStoreParams, Query, TransactionMode, TransactionResult,
};
use js_sys::{Object, Reflect, Uint8Array};
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbTransaction;

/// Why the device's storage could not do what was asked.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum StorageError {
    /// The browser refused to store more: the disk or the site's quota is full.
    #[error("this device is out of storage space for Amplify")]
    Quota,
    /// IndexedDB is missing or blocked (some private modes, or a locked-down browser).
    #[error("this browser does not let Amplify keep data on the device ({0})")]
    Unavailable(String),
    /// Anything else IndexedDB reported.
    #[error("the device's storage failed: {0}")]
    Failed(String),
}

impl From<idb::Error> for StorageError {
    fn from(e: idb::Error) -> StorageError {
        if let idb::Error::DomException(ex) = &e {
            return from_dom_exception(ex);
        }
        let text = e.to_string();
        if text.contains("QuotaExceeded") { StorageError::Quota } else { StorageError::Failed(text) }
    }
}

fn from_dom_exception(ex: &web_sys::DomException) -> StorageError {
    match ex.name().as_str() {
        "QuotaExceededError" => StorageError::Quota,
        name => StorageError::Failed(format!("{name}: {}", ex.message())),
    }
}

/// What is stored for one document: its snapshot, if any, and the changes appended since, oldest
/// first, each with the key needed to set it aside.
#[derive(Debug, Default)]
pub struct Stored {
    /// `Err` holds what was found where a snapshot should be, when it is not bytes at all.
    pub snapshot: Option<Result<Vec<u8>, JsValue>>,
    pub changes: Vec<(ChangeKey, Result<Vec<u8>, JsValue>)>,
}

/// The key of one appended change record.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeKey(JsValue);

impl ChangeKey {
    /// The IndexedDB key itself (tests use it to damage one record).
    pub fn to_js(&self) -> JsValue {
        self.0.clone()
    }
}

/// A sealed blob waiting for the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The space's id, in hex.
    pub space: String,
    /// The encoded [`amplify::Sealed`] blob, or a snapshot.
    pub bytes: Vec<u8>,
    /// For a snapshot: the log position it covers (0 for plain changes).
    pub covers: u64,
}

impl Outgoing {
    fn to_record(&self) -> JsValue {
        let record = Object::new();
        let _ = Reflect::set(&record, &"space".into(), &self.space.as_str().into());
        let _ = Reflect::set(&record, &"bytes".into(), &Uint8Array::from(&self.bytes[..]));
        let _ = Reflect::set(&record, &"covers".into(), &(self.covers as f64).into());
        record.into()
    }

    fn from_record(value: &JsValue) -> Option<Outgoing> {
        let field = |k: &str| Reflect::get(value, &k.into()).ok();
        Some(Outgoing {
            space: field("space")?.as_string()?,
            bytes: bytes_of(field("bytes")?).ok()?,
            covers: field("covers").and_then(|c| c.as_f64()).unwrap_or(0.0) as u64,
        })
    }
}

/// Why a document is waiting to be fetched again from the relay (see [`Storage::to_recover`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// What could not be read, for the report.
    pub reason: String,
    /// The person has been told and chose to go on (started the document afresh): fetch it
    /// again without alerting them.
    pub quiet: bool,
}

impl Lost {
    fn record(reason: &str, quiet: bool) -> JsValue {
        let record = Object::new();
        let _ = Reflect::set(&record, &"reason".into(), &reason.into());
        let _ = Reflect::set(&record, &"quiet".into(), &quiet.into());
        record.into()
    }

    fn from_record(value: &JsValue) -> Lost {
        let field = |k: &str| Reflect::get(value, &k.into()).unwrap_or(JsValue::UNDEFINED);
        Lost {
            reason: field("reason").as_string().or_else(|| value.as_string()).unwrap_or_default(),
            quiet: field("quiet").as_bool().unwrap_or(false),
        }
    }
}

/// A record that was set aside because it could not be read.
#[derive(Debug, Clone)]
pub struct SetAside {
    pub doc: String,
    pub kind: String,
    pub reason: String,
    pub at_ms: f64,
    pub bytes: JsValue,
}

const DOCS: &str = "docs";
const CHANGES: &str = "changes";
const BY_DOC: &str = "by_doc";
const SET_ASIDE: &str = "set_aside";
const KV: &str = "kv";
const OUTBOX: &str = "outbox";
const VERSION: u32 = 2;

/// A handle on the device's document storage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    db: Rc<Database>,
}

impl Storage {
    /// Opens (and if needed creates or upgrades) the database called `name`.
    pub async fn open(name: &str) -> Result<Storage, StorageError> {
        let factory = Factory::new().map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let mut request =
            factory.open(name, Some(VERSION)).map_err(|e| StorageError::Unavailable(e.to_string()))?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            // Creating what is missing, rather than switching on the old version, keeps every
            // upgrade path (1 → n, fresh → n) the same code.
            let names = db.store_names();
            let has = |n: &str| names.iter().any(|s| s == n);
            if !has(DOCS) {
                let _ = db.create_object_store(DOCS, ObjectStoreParams::new());
            }
            if !has(CHANGES) {
                let mut params = ObjectStoreParams::new();
                params.auto_increment(true);
                if let Ok(store) = db.create_object_store(CHANGES, params) {
                    let _ = store.create_index(BY_DOC, KeyPath::new_single("doc"), Some(IndexParams::new()));
                }
            }
            if !has(SET_ASIDE) {
                let mut params = ObjectStoreParams::new();
                params.auto_increment(true);
                let _ = db.create_object_store(SET_ASIDE, params);
            }
            if !has(KV) {
                let _ = db.create_object_store(KV, ObjectStoreParams::new());
            }
            if !has(OUTBOX) {
                let mut params = ObjectStoreParams::new();
                params.auto_increment(true);
                let _ = db.create_object_store(OUTBOX, params);
            }
        });
        let db = request.await.map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(Storage { db: Rc::new(db) })
    }

    /// Everything stored for `doc`, read in one transaction so the snapshot and the changes
    /// agree with each other.
    pub async fn load(&self, doc: &str) -> Result<Stored, StorageError> {
        let tx = self.db.transaction(&[DOCS, CHANGES], TransactionMode::ReadOnly)?;
        let snapshot = tx.object_store(DOCS)?.get(JsValue::from_str(doc))?.await?;
        let changes = tx.object_store(CHANGES)?;
        let (keys, values) = changes_of(&changes, doc).await?;
        tx.await?;
        Ok(Stored {
            snapshot: snapshot.map(bytes_of),
            changes: keys
                .into_iter()
                .zip(values)
                .map(|(key, value)| {
                    let bytes = Reflect::get(&value, &"bytes".into()).unwrap_or(JsValue::UNDEFINED);
                    (ChangeKey(key), bytes_of(bytes))
                })
                .collect(),
        })
    }

    /// The id of every document with anything stored: a snapshot, changes, or both.
    pub async fn doc_ids(&self) -> Result<Vec<String>, StorageError> {
        let tx = self.db.transaction(&[DOCS, CHANGES, KV], TransactionMode::ReadOnly)?;
        // Documents set aside whole still count: they must be opened to say they are unreadable.
        let unreadable: Vec<String> = tx
            .object_store(KV)?
            .get_all_keys(
                Some(Query::from(KeyRange::bound(&"unreadable/".into(), &"unreadable0".into(), None, None)?)),
                None,
            )?
            .await?
            .iter()
            .filter_map(|k| k.as_string()?.strip_prefix("unreadable/").map(str::to_owned))
            .collect();
        // So do documents whose every record was set aside one by one.
        let to_recover: Vec<String> = tx
            .object_store(KV)?
            .get_all_keys(
                Some(Query::from(KeyRange::bound(&"recover/".into(), &"recover0".into(), None, None)?)),
                None,
            )?
            .await?
            .iter()
            .filter_map(|k| k.as_string()?.strip_prefix("recover/").map(str::to_owned))
            .collect();
        let mut ids: Vec<String> = tx
            .object_store(DOCS)?
            .get_all_keys(None, None)?
            .await?
            .iter()
            .filter_map(JsValue::as_string)
            .collect();
        // Documents never compacted have only changes: walk the index's distinct keys.
        let index = tx.object_store(CHANGES)?.index(BY_DOC)?;
        if let Some(cursor) = index.open_key_cursor(None, Some(CursorDirection::NextUnique))?.await? {
            let mut cursor = cursor.into_managed();
            while let Some(key) = cursor.key()? {
                ids.extend(key.as_string());
                cursor.next(None).await?;
            }
        }
        tx.await?;
        ids.extend(unreadable);
        ids.extend(to_recover);
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Appends one incremental save of `doc`, and with it (in the same transaction) the sealed
    /// blob that carries it to the relay, if there is one. Returns how many changes the
    /// document now has since its snapshot, so the caller knows when to compact.
    pub async fn append(
        &self,
        doc: &str,
        bytes: &[u8],
        outbox: Option<&Outgoing>,
    ) -> Result<u32, StorageError> {
        let stores: &[&str] = if outbox.is_some() { &[CHANGES, OUTBOX] } else { &[CHANGES] };
        let tx = self.db.transaction(stores, TransactionMode::ReadWrite)?;
        let store = tx.object_store(CHANGES)?;
        let raw: IdbTransaction = store.transaction().into();
        // Both writes are issued before waiting on either: a page being unloaded gets no more
        // turns, and the transaction then commits (or aborts) both together.
        let change = store.add(&change_record(doc, bytes), None)?;
        let queued = match outbox {
            Some(outgoing) => Some(tx.object_store(OUTBOX)?.add(&outgoing.to_record(), None)?),
            None => None,
        };
        change.await?;
        if let Some(queued) = queued {
            queued.await?;
        }
        let count = store.index(BY_DOC)?.count(Some(Query::from(JsValue::from_str(doc))))?.await?;
        finish(tx.commit()?.await, &raw)?;
        Ok(count)
    }

    /// Queues a sealed blob for the relay on its own (a snapshot, or a whole document re-sent).
    pub async fn enqueue(&self, outgoing: &Outgoing) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadWrite)?;
        let store = tx.object_store(OUTBOX)?;
        let raw: IdbTransaction = store.transaction().into();
        store.add(&outgoing.to_record(), None)?.await?;
        finish(tx.commit()?.await, &raw)
    }

    /// Every queued blob, oldest first, with its key.
    pub async fn outbox(&self) -> Result<Vec<(u32, Outgoing)>, StorageError> {
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadOnly)?;
        let store = tx.object_store(OUTBOX)?;
        let keys = store.get_all_keys(None, None)?.await?;
        let values = store.get_all(None, None)?.await?;
        tx.await?;
        Ok(keys
            .into_iter()
            .zip(values)
            .filter_map(|(key, value)| Some((key.as_f64()? as u32, Outgoing::from_record(&value)?)))
            .collect())
    }

    /// Drops queued blobs (the relay has them, or will never take them).
    pub async fn dequeue(&self, keys: &[u32]) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadWrite)?;
        let store = tx.object_store(OUTBOX)?;
        let raw: IdbTransaction = store.transaction().into();
        for key in keys {
            store.delete(JsValue::from_f64(f64::from(*key)))?.await?;
        }
        finish(tx.commit()?.await, &raw)
    }

    /// Drops every queued blob for `space` (a space this device left or replaced).
    pub async fn dequeue_space(&self, space: &str) -> Result<(), StorageError> {
        let keys: Vec<u32> =
            self.outbox().await?.into_iter().filter(|(_, o)| o.space == space).map(|(k, _)| k).collect();
        self.dequeue(&keys).await
    }

    pub async fn outbox_len(&self) -> Result<u32, StorageError> {
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadOnly)?;
        let count = tx.object_store(OUTBOX)?.count(None)?.await?;
        tx.await?;
        Ok(count)
    }

    /// Replaces `doc`'s snapshot and changes with one new snapshot, atomically.
    ///
    /// Changes appended by another tab since this one loaded are handed to `fold`, which must
    /// merge them and return the snapshot that covers them all; only the changes it saw are
    /// deleted. `fold` returns `None` when its snapshot would not cover them all (a change they
    /// build on is missing): then nothing is written. `fold` runs inside the transaction, so it
    /// must not await.
    pub async fn compact(
        &self,
        doc: &str,
        fold: impl FnOnce(Vec<Vec<u8>>) -> Option<Vec<u8>>,
    ) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[DOCS, CHANGES], TransactionMode::ReadWrite)?;
        let changes = tx.object_store(CHANGES)?;
        let raw: IdbTransaction = changes.transaction().into();
        let (keys, values) = changes_of(&changes, doc).await?;
        // Unreadable records stay where they are; the next load sets them aside.
        let mut folded_keys = Vec::new();
        let mut pending = Vec::new();
        for (key, value) in keys.into_iter().zip(values) {
            let bytes = Reflect::get(&value, &"bytes".into()).unwrap_or(JsValue::UNDEFINED);
            if let Ok(bytes) = bytes_of(bytes) {
                folded_keys.push(key);
                pending.push(bytes);
            }
        }
        let Some(snapshot) = fold(pending) else {
            return finish(tx.commit()?.await, &raw);
        };
        tx.object_store(DOCS)?.put(&Uint8Array::from(&snapshot[..]), Some(&JsValue::from_str(doc)))?.await?;
        for key in folded_keys {
            changes.delete(key)?.await?;
        }
        finish(tx.commit()?.await, &raw)
    }

    /// Writes a whole snapshot for `doc` and drops its appended changes: for a document whose
    /// content arrives whole (a new device, an import).
    pub async fn replace(&self, doc: &str, snapshot: &[u8]) -> Result<(), StorageError> {
        self.compact(doc, |_| Some(snapshot.to_vec())).await
    }

    /// Moves `doc`'s snapshot and every change record into `set_aside`, in one transaction.
    pub async fn set_aside_doc(&self, doc: &str, reason: &str) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[DOCS, CHANGES, SET_ASIDE, KV], TransactionMode::ReadWrite)?;
        // Remembered until the person starts again or the relay restores it, so a reload does
        // not quietly open an empty document in its place.
        let kv = tx.object_store(KV)?;
        kv.put(&JsValue::from_str(reason), Some(&JsValue::from_str(&unreadable_key(doc))))?.await?;
        kv.put(&Lost::record(reason, false), Some(&JsValue::from_str(&recover_key(doc))))?.await?;
        let docs = tx.object_store(DOCS)?;
        let raw: IdbTransaction = docs.transaction().into();
        let aside = tx.object_store(SET_ASIDE)?;
        let key = JsValue::from_str(doc);
        if let Some(snapshot) = docs.get(key.clone())?.await? {
            aside.add(&set_aside_record(doc, "snapshot", snapshot, reason), None)?.await?;
            docs.delete(key)?.await?;
        }
        let changes = tx.object_store(CHANGES)?;
        let (keys, values) = changes_of(&changes, doc).await?;
        for (key, value) in keys.into_iter().zip(values) {
            let bytes = Reflect::get(&value, &"bytes".into()).unwrap_or(JsValue::UNDEFINED);
            aside.add(&set_aside_record(doc, "change", bytes, reason), None)?.await?;
            changes.delete(key)?.await?;
        }
        finish(tx.commit()?.await, &raw)
    }

    /// Why `doc` could not be read, if it was set aside whole and nothing replaced it yet.
    pub async fn unreadable(&self, doc: &str) -> Result<Option<String>, StorageError> {
        Ok(self.get_kv(&unreadable_key(doc)).await?.and_then(|v| v.as_string()))
    }

    /// Forgets that `doc` was unreadable (the person started again, or the relay restored
    /// part of it). It is still fetched again from the relay, quietly: the person knows.
    pub async fn forget_unreadable(&self, doc: &str) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[KV], TransactionMode::ReadWrite)?;
        let store = tx.object_store(KV)?;
        let raw: IdbTransaction = store.transaction().into();
        store.delete(JsValue::from_str(&unreadable_key(doc)))?.await?;
        let key = JsValue::from_str(&recover_key(doc));
        if let Some(value) = store.get(key.clone())?.await? {
            store.put(&Lost::record(&Lost::from_record(&value).reason, true), Some(&key))?.await?;
        }
        finish(tx.commit()?.await, &raw)
    }

    /// Moves one change record into `set_aside`, and marks `doc` to be fetched again from the
    /// relay (in the same transaction: the mark outlives every later start until
    /// [`Storage::recovered`] clears it).
    pub async fn set_aside_change(
        &self,
        doc: &str,
        key: &ChangeKey,
        reason: &str,
    ) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[CHANGES, SET_ASIDE, KV], TransactionMode::ReadWrite)?;
        let changes = tx.object_store(CHANGES)?;
        let raw: IdbTransaction = changes.transaction().into();
        if let Some(value) = changes.get(key.0.clone())?.await? {
            let bytes = Reflect::get(&value, &"bytes".into()).unwrap_or(JsValue::UNDEFINED);
            tx.object_store(SET_ASIDE)?.add(&set_aside_record(doc, "change", bytes, reason), None)?.await?;
            changes.delete(key.0.clone())?.await?;
            tx.object_store(KV)?
                .put(&Lost::record(reason, false), Some(&JsValue::from_str(&recover_key(doc))))?
                .await?;
        }
        finish(tx.commit()?.await, &raw)
    }

    /// Every document that lost a record on this device and has not had its copy back from the
    /// relay since, with the reason it was set aside.
    pub async fn to_recover(&self) -> Result<Vec<(String, Lost)>, StorageError> {
        let tx = self.db.transaction(&[KV], TransactionMode::ReadOnly)?;
        let store = tx.object_store(KV)?;
        let range = || -> Result<Query, StorageError> {
            Ok(Query::from(KeyRange::bound(&"recover/".into(), &"recover0".into(), None, None)?))
        };
        let keys = store.get_all_keys(Some(range()?), None)?.await?;
        let values = store.get_all(Some(range()?), None)?.await?;
        tx.await?;
        Ok(keys
            .iter()
            .zip(values)
            .filter_map(|(k, v)| {
                let doc = k.as_string()?.strip_prefix("recover/")?.to_owned();
                Some((doc, Lost::from_record(&v)))
            })
            .collect())
    }

    /// Clears `doc`'s marks: everything the relay holds for it is on this device again.
    pub async fn recovered(&self, doc: &str) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[KV], TransactionMode::ReadWrite)?;
        let store = tx.object_store(KV)?;
        let raw: IdbTransaction = store.transaction().into();
        store.delete(JsValue::from_str(&recover_key(doc)))?.await?;
        store.delete(JsValue::from_str(&unreadable_key(doc)))?.await?;
        finish(tx.commit()?.await, &raw)
    }

    /// Every record set aside so far, oldest first.
    pub async fn set_aside(&self) -> Result<Vec<SetAside>, StorageError> {
        let tx = self.db.transaction(&[SET_ASIDE], TransactionMode::ReadOnly)?;
        let values = tx.object_store(SET_ASIDE)?.get_all(None, None)?.await?;
        tx.await?;
        let field = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).unwrap_or(JsValue::UNDEFINED);
        Ok(values
            .iter()
            .map(|v| SetAside {
                doc: field(v, "doc").as_string().unwrap_or_default(),
                kind: field(v, "kind").as_string().unwrap_or_default(),
                reason: field(v, "reason").as_string().unwrap_or_default(),
                at_ms: field(v, "at").as_f64().unwrap_or_default(),
                bytes: field(v, "bytes"),
            })
            .collect())
    }

    /// A small structured value under `key` in the `kv` store.
    pub async fn get_kv(&self, key: &str) -> Result<Option<JsValue>, StorageError> {
        let tx = self.db.transaction(&[KV], TransactionMode::ReadOnly)?;
        let value = tx.object_store(KV)?.get(JsValue::from_str(key))?.await?;
        tx.await?;
        Ok(value)
    }

    pub async fn put_kv(&self, key: &str, value: &JsValue) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[KV], TransactionMode::ReadWrite)?;
        let store = tx.object_store(KV)?;
        let raw: IdbTransaction = store.transaction().into();
        store.put(value, Some(&JsValue::from_str(key)))?.await?;
        finish(tx.commit()?.await, &raw)
    }

    /// Closes the connection (tests reopen the same database to act like a reload).
    pub fn close(&self) {
        self.db.close();
    }
}

/// The primary keys and values of `doc`'s change records, in the order they were appended.
async fn changes_of(store: &ObjectStore, doc: &str) -> Result<(Vec<JsValue>, Vec<JsValue>), StorageError> {
    let index = store.index(BY_DOC)?;
    let range = || KeyRange::only(&JsValue::from_str(doc)).map(Query::from);
    let keys = index.get_all_keys(Some(range()?), None)?.await?;
    let values = index.get_all(Some(range()?), None)?.await?;
    Ok((keys, values))
}

/// Turns a transaction's outcome into a `Result`, naming the quota when that is why it aborted.
fn finish(result: Result<TransactionResult, idb::Error>, raw: &IdbTransaction) -> Result<(), StorageError> {
    match result? {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => Err(match raw.error() {
            Some(ex) => from_dom_exception(&ex),
            None => StorageError::Failed("the write was aborted".to_owned()),
        }),
    }
}

fn bytes_of(value: JsValue) -> Result<Vec<u8>, JsValue> {
    match value.dyn_into::<Uint8Array>() {
        Ok(array) => Ok(array.to_vec()),
        Err(other) => Err(other),
    }
}

fn unreadable_key(doc: &str) -> String {
    format!("unreadable/{doc}")
}

fn recover_key(doc: &str) -> String {
    format!("recover/{doc}")
}

fn change_record(doc: &str, bytes: &[u8]) -> JsValue {
    let record = Object::new();
    let _ = Reflect::set(&record, &"doc".into(), &doc.into());
    let _ = Reflect::set(&record, &"bytes".into(), &Uint8Array::from(bytes));
    record.into()
}

fn set_aside_record(doc: &str, kind: &str, bytes: JsValue, reason: &str) -> JsValue {
    let record = Object::new();
    let _ = Reflect::set(&record, &"doc".into(), &doc.into());
    let _ = Reflect::set(&record, &"kind".into(), &kind.into());
    let _ = Reflect::set(&record, &"bytes".into(), &bytes);
    let _ = Reflect::set(&record, &"reason".into(), &reason.into());
    let _ = Reflect::set(&record, &"at".into(), &js_sys::Date::now().into());
    record.into()
}
