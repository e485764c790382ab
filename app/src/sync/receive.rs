//! What comes from the relay: blobs and snapshots applied, catch-ups finished, presence noted.

use amplify::{DocId, Sealed, SpaceId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Phase, engine::Engine};
use crate::{account::Joined, documents::RemoteError, platform::warn};

/// Why a blob from the relay was not taken in.
enum Refused {
    /// It could be read but not kept on this device (storage): it must come again.
    NotKept(String),
    /// It can never be taken in here (forged, undecryptable, for no document of ours).
    Unreadable(String),
}

/// Someone looking at a document.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Here {
    pub(super) doc: DocId,
    pub(super) person: String,
    pub(super) name: String,
    /// The part of the document they are editing, if they said.
    pub(super) at: Option<String>,
    pub(super) until_ms: f64,
}

#[derive(Serialize, Deserialize)]
pub(super) struct Announcement {
    pub(super) person: String,
    pub(super) name: String,
    /// Where in the document (a canvas field's key): older versions send none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) at: Option<String>,
}

/// How long an announcement counts for.
const PRESENCE_MS: f64 = 30_000.0;

impl Engine {
    /// Notes who is looking at what, from another device's announcement.
    pub(super) fn presence(&self, blob: &Sealed) {
        let Some(account) = self.account() else { return };
        let Some(payload) = account.space(blob.space).and_then(|s| s.open(blob).ok()) else { return };
        let Ok(said) = serde_json::from_slice::<Announcement>(&payload.bytes) else { return };
        let here = Here {
            doc: match payload.doc.parse() {
                Ok(doc) => doc,
                Err(_) => return,
            },
            person: said.person,
            name: said.name,
            // A part's key is short; anything else is not one.
            at: said.at.filter(|at| at.len() <= 64),
            until_ms: js_sys::Date::now() + PRESENCE_MS,
        };
        self.sync.presence.update(|all| {
            all.retain(|h| {
                !(h.doc == here.doc && h.person == here.person) && h.until_ms > js_sys::Date::now()
            });
            all.push(here);
        });
    }

    /// Applies a blob or snapshot from the relay and moves the cursor past it.
    pub(super) async fn receive(&self, blob: &Sealed, seq: u64, snapshot: Option<u64>) {
        let Some(account) = self.account() else { return };
        let Some(space) = account.space(blob.space) else { return };
        let outcome = self.apply(space, blob).await;
        match outcome {
            Ok(()) => {}
            // Not kept on this device (a full disk): leave the cursor so it comes again.
            Err(Refused::NotKept(reason)) => {
                warn(&format!("a blob from the relay could not be kept yet: {reason}"));
                return;
            }
            Err(Refused::Unreadable(reason)) => {
                warn(&format!("ignored a blob from the relay: {reason}"));
                self.sync.ignored.update(|n| *n += 1);
            }
        }
        let mut cursors = self.cursors.borrow_mut();
        let cursor = cursors.entry(blob.space, blob.doc);
        match snapshot {
            Some(covers) => cursor.snapshot(covers),
            None => cursor.past(seq, blob.ciphertext.len()),
        }
    }

    /// Opens `blob` and applies it to its document.
    async fn apply(&self, space: &Joined, blob: &Sealed) -> Result<(), Refused> {
        match space.open(blob) {
            Err(e) => Err(Refused::Unreadable(e.to_string())),
            Ok(payload) => match payload.doc.parse::<DocId>().ok().and_then(|id| self.repo.target(id)) {
                None => Err(Refused::Unreadable(format!("no document here for {}", payload.doc))),
                Some(target) => {
                    target.apply_remote(&payload.bytes, payload.kind).await.map_err(|e| match e {
                        RemoteError::Storage(e) => Refused::NotKept(e.to_string()),
                        RemoteError::Doc(e) => Refused::Unreadable(e.to_string()),
                    })
                }
            },
        }
    }

    /// Says "caught up" once every space this device is still in has sent what it had.
    pub(super) fn check_caught_up(&self) {
        let all = self.account().is_none_or(|a| {
            a.spaces.iter().filter(|s| !s.removed).all(|s| self.caught_up.borrow().contains(&s.id()))
        });
        if all && matches!(self.sync.phase.get_untracked(), Phase::Connected { .. }) {
            self.sync.phase.set(Phase::Connected { caught_up: true });
        }
    }

    pub(super) async fn caught_up(&self, space: SpaceId) {
        self.caught_up.borrow_mut().insert(space);
        let recovered = self.recovering.borrow_mut().remove(&space).unwrap_or_default();
        for target in recovered {
            target.relay_sent_everything().await;
        }
        self.check_caught_up();
        self.save_cursors().await;
        self.tend(space).await;
        self.refile_legacy(space).await;
        self.snapshot_if_due(space).await;
    }
}
