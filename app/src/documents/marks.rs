//! What this person has looked at, kept on this device only (nobody else needs to know): the
//! heads of a canvas when it was last shown ("changed since you last looked"), and which shared
//! entries a coach has opened.

use std::collections::HashSet;

use amplify::{ChangeHash, DocId};
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsValue;

use super::repo::Repo;
use crate::platform::warn;

fn seen_key(doc: DocId) -> String {
    format!("seen/{doc}")
}

/// The heads of `doc` when this person last had it in front of them, if ever.
pub async fn seen_heads(repo: Repo, doc: DocId) -> Option<Vec<ChangeHash>> {
    let value = repo.storage()?.get_kv(&seen_key(doc)).await.ok()??;
    let heads: Vec<ChangeHash> =
        value.as_string().unwrap_or_default().split(',').filter_map(|h| h.parse().ok()).collect();
    (!heads.is_empty()).then_some(heads)
}

/// Records that this person has seen `doc` as it is at `heads`.
pub fn mark_seen(repo: Repo, doc: DocId, heads: &[ChangeHash]) {
    let value = heads.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    spawn_local(async move {
        let Some(storage) = repo.storage() else { return };
        if let Err(e) = storage.put_kv(&seen_key(doc), &JsValue::from_str(&value)).await {
            // Only costs a "changed" mark shown again next time.
            warn(&format!("could not note that {doc} was seen: {e}"));
        }
    });
}

const READ: &str = "coach.read";

/// The shared entries a coach has opened. `Copy`.
#[derive(Clone, Copy)]
pub struct ReadMarks {
    read: RwSignal<HashSet<String>>,
    repo: Repo,
}

impl ReadMarks {
    /// The marks kept on this device (read in the background; empty until then).
    pub fn load(repo: Repo) -> ReadMarks {
        let read = RwSignal::new(HashSet::new());
        spawn_local(async move {
            let Some(storage) = repo.storage() else { return };
            match storage.get_kv(READ).await {
                Ok(Some(value)) => {
                    let set: HashSet<String> =
                        serde_json::from_str(&value.as_string().unwrap_or_default()).unwrap_or_default();
                    read.set(set);
                }
                Ok(None) => {}
                Err(e) => warn(&format!("could not read which shared entries were opened: {e}")),
            }
        });
        ReadMarks { read, repo }
    }

    pub fn is_read(&self, doc: DocId) -> bool {
        self.read.with(|r| r.contains(&doc.to_string()))
    }

    /// Notes that the coach opened `doc`.
    pub fn mark(&self, doc: DocId) {
        self.read.update(|r| {
            r.insert(doc.to_string());
        });
        let json = serde_json::to_string(&self.read.get_untracked()).unwrap_or_default();
        let repo = self.repo;
        spawn_local(async move {
            let Some(storage) = repo.storage() else { return };
            if let Err(e) = storage.put_kv(READ, &JsValue::from_str(&json)).await {
                warn(&format!("could not note which shared entries were opened: {e}"));
            }
        });
    }
}
