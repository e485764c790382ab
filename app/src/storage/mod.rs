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
//!   set aside: fetch the document again from the relay), written with the move to `set_aside`;
//!   and `view/<journal volume>`, a month's list kept for the next start (see
//!   `documents::journal_view`).
//! - `outbox`: auto-increment key → `{space, bytes}`, sealed blobs not yet acknowledged by the
//!   relay. A local save and its outbox entry are written in one transaction.
//!
//! This layer moves bytes; it does not know automerge. Deciding what is damaged is the caller's
//! job (`repo.rs`), which asks to set records aside.

mod damage;
mod docs;
mod outbox;

use std::rc::Rc;

use idb::{
    Database, DatabaseEvent, Factory, IndexParams, KeyPath, ObjectStoreParams, TransactionMode,
    TransactionResult,
};
use js_sys::Uint8Array;
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbTransaction;

pub use self::{
    damage::{Lost, SetAside},
    docs::{ChangeKey, Stored},
    outbox::Outgoing,
};

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

pub(super) const DOCS: &str = "docs";
pub(super) const CHANGES: &str = "changes";
pub(super) const BY_DOC: &str = "by_doc";
pub(super) const SET_ASIDE: &str = "set_aside";
pub(super) const KV: &str = "kv";
pub(super) const OUTBOX: &str = "outbox";
const VERSION: u32 = 2;

/// A handle on the device's document storage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    pub(super) db: Rc<Database>,
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
            // A store that cannot be created makes the upgrade, and so `open`, fail: that is
            // where the error is reported; here it is only noted.
            let create = |name: &str, auto_increment: bool| {
                let mut params = ObjectStoreParams::new();
                params.auto_increment(auto_increment);
                let created = db.create_object_store(name, params);
                if let Err(e) = &created {
                    crate::platform::warn(&format!("could not create the {name} store: {e}"));
                }
                created.ok()
            };
            if !has(DOCS) {
                create(DOCS, false);
            }
            if !has(CHANGES)
                && let Some(store) = create(CHANGES, true)
                && let Err(e) =
                    store.create_index(BY_DOC, KeyPath::new_single("doc"), Some(IndexParams::new()))
            {
                crate::platform::warn(&format!("could not index the changes store: {e}"));
            }
            if !has(SET_ASIDE) {
                create(SET_ASIDE, true);
            }
            if !has(KV) {
                create(KV, false);
            }
            if !has(OUTBOX) {
                create(OUTBOX, true);
            }
        });
        let db = request.await.map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(Storage { db: Rc::new(db) })
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

/// Turns a transaction's outcome into a `Result`, naming the quota when that is why it aborted.
pub(super) fn finish(
    result: Result<TransactionResult, idb::Error>,
    raw: &IdbTransaction,
) -> Result<(), StorageError> {
    match result? {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => Err(match raw.error() {
            Some(ex) => from_dom_exception(&ex),
            None => StorageError::Failed("the write was aborted".to_owned()),
        }),
    }
}

pub(super) fn bytes_of(value: JsValue) -> Result<Vec<u8>, JsValue> {
    match value.dyn_into::<Uint8Array>() {
        Ok(array) => Ok(array.to_vec()),
        Err(other) => Err(other),
    }
}
