//! A month's list, kept beside its volume: the entries as they were when the volume's stored
//! bytes were exactly these. On start the journal draws it at once, while the document itself
//! is read (a month of 500 entries takes a few hundred milliseconds to load); the document
//! replaces it as soon as it is open.
//!
//! The view is used only when the bytes on the device are the very bytes it was made from (a
//! SHA-256 over the snapshot and every change record), and it is made only when the document
//! has nothing unsaved, so it never shows what the document will not.

use amplify::{Entry, Journal, decode_entries, encode_entries};
use js_sys::{Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;

use super::{handle::DocHandle, health::SaveState};
use crate::{
    platform::{js_object, warn},
    storage::{Storage, Stored},
};

fn key(doc: &str) -> String {
    format!("view/{doc}")
}

/// What the stored bytes are, in 32 bytes; `None` if a record is not bytes at all.
fn stamp(stored: &Stored) -> Option<[u8; 32]> {
    let mut hash = Sha256::new();
    let mut add = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    match &stored.snapshot {
        Some(Ok(bytes)) => add(bytes),
        Some(Err(_)) => return None,
        None => add(&[]),
    }
    for (_, change) in &stored.changes {
        add(change.as_ref().ok()?);
    }
    Some(hash.finalize().into())
}

/// The list kept for `doc`, if it was made from the bytes stored now.
pub async fn cached(storage: &Storage, doc: &str) -> Option<Vec<Entry>> {
    let record = storage.get_kv(&key(doc)).await.ok()??;
    let kept = Reflect::get(&record, &"stamp".into()).ok()?.dyn_into::<Uint8Array>().ok()?.to_vec();
    let stored = storage.load(doc).await.ok()?;
    if stamp(&stored)?.as_slice() != kept {
        return None;
    }
    let entries = Reflect::get(&record, &"entries".into()).ok()?.dyn_into::<Uint8Array>().ok()?.to_vec();
    decode_entries(&entries)
}

/// Keeps `handle`'s list for the next start, if everything it holds is saved.
pub async fn keep(storage: &Storage, doc: &str, handle: DocHandle<Journal>) {
    let Ok(stored) = storage.load(doc).await else { return };
    // Nothing runs between the read above finishing and this line: if nothing is unsaved now,
    // the document holds what was read, or something saved after it (whose bytes differ, so
    // the view is never used for them).
    if handle.save_state_untracked() != SaveState::Saved {
        return;
    }
    let Some(stamp) = stamp(&stored) else { return };
    let entries = encode_entries(&handle.with_untracked(Journal::entries));
    let record = js_object(&[
        ("stamp", Uint8Array::from(stamp.as_slice()).into()),
        ("entries", Uint8Array::from(entries.as_slice()).into()),
    ]);
    if let Err(e) = storage.put_kv(&key(doc), &record).await {
        // Only the next start's head start is lost.
        warn(&format!("could not keep the list of {doc}: {e}"));
    }
}
