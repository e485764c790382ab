//! Documents: a snapshot each, and the changes appended since.

use idb::{CursorDirection, KeyRange, ObjectStore, Query, TransactionMode};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use web_sys::IdbTransaction;

use super::{BY_DOC, CHANGES, DOCS, KV, OUTBOX, Outgoing, Storage, StorageError, bytes_of, finish};
use crate::platform::js_object;

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
pub struct ChangeKey(pub(super) JsValue);

impl ChangeKey {
    /// The IndexedDB key itself (tests use it to damage one record).
    pub fn to_js(&self) -> JsValue {
        self.0.clone()
    }
}

impl Storage {
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
        amplify::sort::ord(&mut ids);
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
}

/// The primary keys and values of `doc`'s change records, in the order they were appended.
pub(super) async fn changes_of(
    store: &ObjectStore,
    doc: &str,
) -> Result<(Vec<JsValue>, Vec<JsValue>), StorageError> {
    let index = store.index(BY_DOC)?;
    let range = || KeyRange::only(&JsValue::from_str(doc)).map(Query::from);
    let keys = index.get_all_keys(Some(range()?), None)?.await?;
    let values = index.get_all(Some(range()?), None)?.await?;
    Ok((keys, values))
}

fn change_record(doc: &str, bytes: &[u8]) -> JsValue {
    js_object(&[("doc", doc.into()), ("bytes", Uint8Array::from(bytes).into())])
}
