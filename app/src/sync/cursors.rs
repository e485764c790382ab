//! How far this device has read each document's log on the relay, kept in IndexedDB.

use std::collections::HashMap;

use amplify::{DocRef, SpaceId};
use serde::{Deserialize, Serialize};

/// How far this device has read each document's log on the relay.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Cursors(pub(super) HashMap<String, HashMap<String, Cursor>>);

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct Cursor {
    /// Every blob up to this sequence number is applied here (or was sent from here): a
    /// snapshot this device makes covers the log up to it and no further.
    pub(super) seq: u64,
    /// Blobs seen past a gap (this device's own, acknowledged before another device's blob
    /// numbered just before them arrived): `seq` moves past them once the gap is filled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) ahead: Vec<u64>,
    /// What the newest snapshot on the relay covers.
    pub(super) covers: u64,
    /// About the bytes of the blobs after that snapshot this device sent or read: once they
    /// outweigh the whole document, a snapshot is due (see `Engine::snapshot_if_due`).
    #[serde(default)]
    pub(super) bytes: u64,
    /// The whole document's size when last weighed against `bytes` (weighed again only once
    /// `bytes` outgrow it).
    #[serde(default)]
    pub(super) whole: u64,
}

/// Blobs kept past a gap at most; beyond, the gap is left for the next catch-up to fill (the
/// relay sends the log again from `seq`).
const AHEAD: usize = 256;

impl Cursor {
    /// Moves past blob `seq` of `len` bytes (counted once, however often it comes back). A
    /// blob past a gap is noted, not moved to: a snapshot covering the gap would leave out
    /// the changes in it, which the relay would then drop.
    pub(super) fn past(&mut self, seq: u64, len: usize) {
        if seq <= self.seq || self.ahead.contains(&seq) {
            return;
        }
        self.bytes += len as u64;
        if seq == self.seq + 1 {
            self.seq = seq;
            self.close_gaps();
        } else if self.ahead.len() < AHEAD {
            self.ahead.push(seq);
        }
    }

    /// Moves past a snapshot covering the log up to `covers`: the log before it no longer counts.
    pub(super) fn snapshot(&mut self, covers: u64) {
        if covers > self.covers {
            self.covers = covers;
            self.bytes = 0;
        }
        self.seq = self.seq.max(covers);
        self.close_gaps();
    }

    fn close_gaps(&mut self) {
        self.ahead.retain(|&s| s > self.seq);
        while let Some(i) = self.ahead.iter().position(|&s| s == self.seq + 1) {
            self.seq = self.ahead.swap_remove(i);
        }
    }
}

impl Cursors {
    pub(super) fn get(&self, space: SpaceId, doc: DocRef) -> Cursor {
        self.0
            .get(&space.to_string())
            .and_then(|docs| docs.get(&doc.to_string()))
            .cloned()
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

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    const SPACE: SpaceId = SpaceId([1; 32]);
    const OTHER: SpaceId = SpaceId([2; 32]);
    const DOC: DocRef = DocRef([3; 16]);

    #[wasm_bindgen_test]
    fn a_document_never_read_starts_at_zero_and_cursors_stay_in_their_space() {
        let mut cursors = Cursors::default();
        assert_eq!(cursors.get(SPACE, DOC).seq, 0);
        cursors.entry(SPACE, DOC).seq = 7;
        cursors.entry(SPACE, DOC).covers = 5;
        assert_eq!((cursors.get(SPACE, DOC).seq, cursors.get(SPACE, DOC).covers), (7, 5));
        assert_eq!(cursors.of_space(SPACE), [(DOC, 7)]);
        assert!(cursors.of_space(OTHER).is_empty());
    }

    #[wasm_bindgen_test]
    fn a_cursor_counts_each_blob_once_until_a_snapshot_covers_it() {
        let mut cursor = Cursor::default();
        cursor.past(1, 300);
        cursor.past(2, 200);
        // An acknowledgement repeated, a blob sent again: already counted.
        cursor.past(2, 200);
        cursor.past(1, 300);
        assert_eq!((cursor.seq, cursor.bytes), (2, 500));
        cursor.snapshot(2);
        assert_eq!((cursor.seq, cursor.covers, cursor.bytes), (2, 2, 0));
        cursor.past(3, 100);
        // An older snapshot changes nothing.
        cursor.snapshot(1);
        assert_eq!((cursor.seq, cursor.covers, cursor.bytes), (3, 2, 100));
        // Another device's blob 4 arrives after this device's 5 and 6 were acknowledged: the
        // cursor (and so any snapshot) waits for it, then moves past all three.
        cursor.past(5, 10);
        cursor.past(6, 10);
        assert_eq!((cursor.seq, cursor.bytes), (3, 120));
        cursor.past(4, 10);
        assert_eq!((cursor.seq, cursor.bytes), (6, 130));
        assert!(cursor.ahead.is_empty());
        // A snapshot fills a gap too.
        cursor.past(9, 10);
        cursor.snapshot(8);
        assert_eq!((cursor.seq, cursor.covers, cursor.bytes), (9, 8, 0));
        // Cursors kept before bytes were counted still load.
        let old: Cursor = serde_json::from_str(r#"{"seq":4,"covers":1}"#).unwrap();
        assert_eq!((old.seq, old.covers, old.bytes), (4, 1, 0));
    }

    #[wasm_bindgen_test]
    fn cursors_survive_a_round_trip_through_storage_and_ignore_damaged_keys() {
        let mut cursors = Cursors::default();
        cursors.entry(SPACE, DOC).seq = 3;
        let json = serde_json::to_string(&cursors).unwrap();
        let mut back: Cursors = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get(SPACE, DOC).seq, 3);
        // A key that is not a document reference is skipped, not a reason to lose the rest.
        back.0
            .get_mut(&SPACE.to_string())
            .unwrap()
            .insert("not hex".to_owned(), Cursor { seq: 9, ..Cursor::default() });
        assert_eq!(back.of_space(SPACE), [(DOC, 3)]);
    }
}
