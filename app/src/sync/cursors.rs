//! How far this device has read each document's log on the relay, kept in IndexedDB.

use std::collections::HashMap;

use amplify::{DocRef, SpaceId};
use serde::{Deserialize, Serialize};

/// How far this device has read each document's log on the relay.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Cursors(pub(super) HashMap<String, HashMap<String, Cursor>>);

#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
pub(super) struct Cursor {
    /// The last sequence number applied.
    pub(super) seq: u64,
    /// What the newest snapshot on the relay covers.
    pub(super) covers: u64,
}

impl Cursors {
    pub(super) fn get(&self, space: SpaceId, doc: DocRef) -> Cursor {
        self.0
            .get(&space.to_string())
            .and_then(|docs| docs.get(&doc.to_string()))
            .copied()
            .unwrap_or_default()
    }

    pub(super) fn entry(&mut self, space: SpaceId, doc: DocRef) -> &mut Cursor {
        self.0.entry(space.to_string()).or_default().entry(doc.to_string()).or_default()
    }

    pub(super) fn of_space(&self, space: SpaceId) -> Vec<(DocRef, u64)> {
        self.0
            .get(&space.to_string())
            .map(|docs| docs.iter().filter_map(|(doc, c)| Some((DocRef::parse(doc)?, c.seq))).collect())
            .unwrap_or_default()
    }
}

pub(super) const CURSORS: &str = "sync.cursors";
