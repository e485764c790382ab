//! Damage: records that could not be read are moved aside (never deleted), and the documents
//! they belonged to are marked, until the relay gives back what was lost.

use idb::{KeyRange, Query, TransactionMode};
use js_sys::Reflect;
use wasm_bindgen::JsValue;
use web_sys::IdbTransaction;

use super::{
    CHANGES, DOCS, KV, SET_ASIDE, Storage, StorageError,
    docs::{ChangeKey, changes_of},
    finish,
};
use crate::platform::js_object;

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
        js_object(&[("reason", reason.into()), ("quiet", quiet.into())])
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

impl Storage {
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
}

pub(super) fn unreadable_key(doc: &str) -> String {
    format!("unreadable/{doc}")
}

pub(super) fn recover_key(doc: &str) -> String {
    format!("recover/{doc}")
}

fn set_aside_record(doc: &str, kind: &str, bytes: JsValue, reason: &str) -> JsValue {
    js_object(&[
        ("doc", doc.into()),
        ("kind", kind.into()),
        ("bytes", bytes),
        ("reason", reason.into()),
        ("at", js_sys::Date::now().into()),
    ])
}
