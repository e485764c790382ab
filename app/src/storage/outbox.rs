//! The outbox: sealed blobs waiting for the relay's acknowledgement.

use idb::TransactionMode;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use web_sys::IdbTransaction;

use super::{OUTBOX, Storage, StorageError, bytes_of, finish};
use crate::platform::js_object;

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
    pub(super) fn to_record(&self) -> JsValue {
        js_object(&[
            ("space", self.space.as_str().into()),
            ("bytes", Uint8Array::from(&self.bytes[..]).into()),
            ("covers", (self.covers as f64).into()),
        ])
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

impl Storage {
    /// Queues a sealed blob for the relay on its own (a snapshot, or a whole document re-sent).
    pub async fn enqueue(&self, outgoing: &Outgoing) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadWrite)?;
        let store = tx.object_store(OUTBOX)?;
        let raw: IdbTransaction = store.transaction().into();
        store.add(&outgoing.to_record(), None)?.await?;
        finish(tx.commit()?.await, &raw)
    }

    /// Replaces the queued blob `key` (sealed again under a newer key), in its place.
    pub async fn requeue(&self, key: u32, outgoing: &Outgoing) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadWrite)?;
        let store = tx.object_store(OUTBOX)?;
        let raw: IdbTransaction = store.transaction().into();
        store.put(&outgoing.to_record(), Some(&JsValue::from_f64(f64::from(key))))?.await?;
        finish(tx.commit()?.await, &raw)
    }

    /// Replaces the queued blobs `keys` (oldest first) with `combined`, which carries all of
    /// their changes: in one transaction, so a reload or a crash finds either the old blobs or
    /// the new one, never both and never neither. `combined` takes the oldest one's place.
    pub async fn coalesce(&self, keys: &[u32], combined: &Outgoing) -> Result<(), StorageError> {
        let Some((first, rest)) = keys.split_first() else { return Ok(()) };
        let tx = self.db.transaction(&[OUTBOX], TransactionMode::ReadWrite)?;
        let store = tx.object_store(OUTBOX)?;
        let raw: IdbTransaction = store.transaction().into();
        store.put(&combined.to_record(), Some(&JsValue::from_f64(f64::from(*first))))?.await?;
        for key in rest {
            store.delete(JsValue::from_f64(f64::from(*key)))?.await?;
        }
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
}
