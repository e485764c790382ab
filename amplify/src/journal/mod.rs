//! A participant's journal: dated entries, free or answering a prompt, with tags and an energy
//! mark. A journal is a set of volumes, one automerge document per calendar month, so that no
//! document grows without bound (see ARCHITECTURE.md). An entry lives in the volume of the month
//! it was written in, on the writer's clock.
//!
//! Layout: `entries` is a map from entry id to an entry map with `at` (UTC ms), `offset`
//! (minutes east of UTC), `prompt` (string, optional), `body` (text), `tags` (map of tag to
//! `true`, so two devices adding the same tag merge into one), `energy` (1-5, optional) and
//! `deleted` (UTC ms, optional).

use std::fmt;

use automerge::{ObjId, ObjType, ScalarValue};
use serde::{Deserialize, Serialize};

use crate::{
    doc::{Doc, DocKind},
    time::{Date, Moment, Month},
};

/// The document id of the journal volume for `month`: `journal/2026-11`.
pub fn volume_id(month: Month) -> String {
    format!("journal/{month}")
}

/// The month of a journal volume's document id, or `None` if `id` is not one.
pub fn volume_month(id: &str) -> Option<Month> {
    id.strip_prefix("journal/").and_then(Month::parse)
}

/// Identifies an entry within its journal: 16 random bytes, written as 32 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId([u8; 16]);

impl EntryId {
    pub fn random() -> EntryId {
        EntryId(crate::random_bytes())
    }

    /// Accepts what [`EntryId`]'s `Display` wrote; anything else is `None`, so a made-up id in
    /// a URL never reaches the document.
    pub fn parse(s: &str) -> Option<EntryId> {
        crate::parse_hex(s).map(EntryId)
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::hex(&self.0))
    }
}

impl Serialize for EntryId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntryId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        EntryId::parse(&s).ok_or_else(|| serde::de::Error::custom("not an entry id"))
    }
}

/// How the writer felt: a mark from 1 (drained) to 5 (energised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Energy(u8);

impl Energy {
    pub const ALL: [Energy; 5] = [Energy(1), Energy(2), Energy(3), Energy(4), Energy(5)];

    pub fn new(level: u8) -> Option<Energy> {
        (1..=5).contains(&level).then_some(Energy(level))
    }

    pub fn level(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        ["Drained", "Low", "Steady", "Good", "Energised"][usize::from(self.0 - 1)]
    }
}

/// One journal entry, read out of the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub written: Moment,
    pub prompt: Option<String>,
    pub body: String,
    /// Sorted, lowercase, without `#`.
    pub tags: Vec<String>,
    pub energy: Option<Energy>,
    /// When it was deleted (UTC ms); deleted entries stay in the document so that a delete can
    /// be undone and a concurrent edit on another device is never silently dropped.
    pub deleted: Option<i64>,
}

impl Entry {
    /// A one-line title: the prompt if there is one, else the first line of the body.
    pub fn title(&self) -> String {
        if let Some(prompt) = &self.prompt {
            return prompt.clone();
        }
        let first = self.body.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        match first.char_indices().nth(80) {
            Some((cut, _)) => format!("{}…", &first[..cut]),
            None if first.is_empty() => "Untitled entry".to_owned(),
            None => first.to_owned(),
        }
    }

    /// Whether the entry has every tag of `query` and contains every one of its words.
    pub fn matches(&self, query: &Query) -> bool {
        if !query.tags.iter().all(|t| self.tags.contains(t)) {
            return false;
        }
        if query.words.is_empty() {
            return true;
        }
        let haystack =
            format!("{}\n{}\n{}", self.prompt.as_deref().unwrap_or(""), self.body, self.tags.join(" "))
                .to_lowercase();
        query.words.iter().all(|w| haystack.contains(w.as_str()))
    }
}

/// The entries written on one day, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    pub entries: Vec<Entry>,
}

impl Day {
    /// Groups entries sorted newest first by the local day they were written, keeping the order.
    pub fn group(entries: impl IntoIterator<Item = Entry>) -> Vec<Day> {
        let mut days: Vec<Day> = Vec::new();
        for entry in entries {
            let date = entry.written.local_date();
            match days.last_mut() {
                Some(day) if day.date == date => day.entries.push(entry),
                _ => days.push(Day { date, entries: vec![entry] }),
            }
        }
        days
    }
}

/// A list of entries as bytes, for keeping a month's list on the device (version 1): each
/// field in order with the shared codec.
pub fn encode_entries(entries: &[Entry]) -> Vec<u8> {
    let mut w = crate::codec::Writer::default();
    w.u8(1).len(entries.len());
    for e in entries {
        w.raw(&e.id.0).u64(e.written.utc_ms as u64).u32(e.written.offset_min as u32);
        match &e.prompt {
            Some(prompt) => w.u8(1).str(prompt),
            None => w.u8(0),
        };
        w.str(&e.body).len(e.tags.len());
        for tag in &e.tags {
            w.str(tag);
        }
        w.u8(e.energy.map_or(0, Energy::level));
        match e.deleted {
            Some(at) => w.u8(1).u64(at as u64),
            None => w.u8(0),
        };
    }
    w.0
}

/// The entries [`encode_entries`] wrote; `None` for anything else.
pub fn decode_entries(bytes: &[u8]) -> Option<Vec<Entry>> {
    let mut r = crate::codec::Reader { buf: bytes };
    if r.u8().ok()? != 1 {
        return None;
    }
    let n = r.len(16 + 8 + 4 + 1 + 4 + 4 + 1 + 1).ok()?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let id = EntryId(r.array().ok()?);
        let written = Moment::new(r.u64().ok()? as i64, r.u32().ok()? as i32);
        let prompt = match r.u8().ok()? {
            0 => None,
            1 => Some(r.str().ok()?),
            _ => return None,
        };
        let body = r.str().ok()?;
        let tags = (0..r.len(4).ok()?).map(|_| r.str().ok()).collect::<Option<Vec<_>>>()?;
        let energy = match r.u8().ok()? {
            0 => None,
            level => Some(Energy::new(level)?),
        };
        let deleted = match r.u8().ok()? {
            0 => None,
            1 => Some(r.u64().ok()? as i64),
            _ => return None,
        };
        entries.push(Entry { id, written, prompt, body, tags, energy, deleted });
    }
    r.end().ok()?;
    Some(entries)
}

/// Every tag on `entries`, with how many carry it, most used first.
pub fn tag_counts<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for entry in entries {
        for tag in &entry.tags {
            *counts.entry(tag).or_default() += 1;
        }
    }
    let mut tags: Vec<_> = counts.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
    crate::sort::by(&mut tags, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    tags
}

/// A search: every word must appear (case-insensitively) in the prompt, body or tags, and every
/// `#tag` must be on the entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub words: Vec<String>,
    pub tags: Vec<String>,
}

impl Query {
    /// Parses what a person types into the search box: `conflict #feedback`.
    pub fn parse(input: &str) -> Query {
        let mut query = Query::default();
        for token in input.split_whitespace() {
            if token.starts_with('#') {
                if let Some(tag) = normalize_tag(token) {
                    query.tags.push(tag);
                }
            } else {
                query.words.push(token.to_lowercase());
            }
        }
        query
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.tags.is_empty()
    }
}

/// Turns what someone typed as a tag into its stored form: trimmed, without `#`, lowercase,
/// inner spaces as `-`, at most 40 characters. `None` if nothing is left.
pub fn normalize_tag(raw: &str) -> Option<String> {
    let tag: String = raw
        .trim()
        .trim_start_matches('#')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control() && *c != ',')
        .take(40)
        .collect();
    (!tag.is_empty()).then_some(tag)
}

/// A participant's journal.
#[derive(Debug)]
pub struct Journal {
    doc: Doc,
}

crate::doc::model!(Journal, DocKind::Journal, [("entries", ObjType::Map)]);

impl Journal {
    /// Starts a new entry written at `written`, optionally answering `prompt`.
    pub fn add_entry(&mut self, written: Moment, prompt: Option<&str>) -> EntryId {
        let id = EntryId::random();
        self.add_entry_as(id, written, prompt);
        id
    }

    /// Starts a new entry with the id `id` (one chosen before the journal could be written:
    /// a draft's), written at `written`, optionally answering `prompt`.
    pub fn add_entry_as(&mut self, id: EntryId, written: Moment, prompt: Option<&str>) {
        let entries = self.entries_obj();
        let entry = self.doc.put_object(&entries, &id.to_string(), ObjType::Map);
        self.doc.put(&entry, "at", written.utc_ms);
        self.doc.put(&entry, "offset", i64::from(written.offset_min));
        if let Some(prompt) = prompt {
            self.doc.put(&entry, "prompt", prompt);
        }
        self.doc.put_object(&entry, "body", ObjType::Text);
        self.doc.put_object(&entry, "tags", ObjType::Map);
    }

    /// The entry with this id, deleted or not.
    pub fn entry(&self, id: &EntryId) -> Option<Entry> {
        let obj = self.doc.get_obj(&self.entries_obj(), &id.to_string())?;
        self.read_entry(*id, &obj)
    }

    /// Whether an entry with this id is here, deleted or not (without reading it).
    pub fn has_entry(&self, id: &EntryId) -> bool {
        self.entry_obj(id).is_some()
    }

    /// Whether the entry with this id is here and not deleted (without reading its text).
    pub fn is_live(&self, id: &EntryId) -> bool {
        self.entry_obj(id).is_some_and(|obj| self.doc.get_i64(&obj, "deleted").is_none())
    }

    /// Every entry that is not deleted, newest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.search(&Query::default())
    }

    /// The entries that match `query`, newest first.
    pub fn search(&self, query: &Query) -> Vec<Entry> {
        let entries = self.entries_obj();
        let mut found: Vec<Entry> = self
            .doc
            .keys(&entries)
            .filter_map(|key| {
                let id = EntryId::parse(&key)?;
                let obj = self.doc.get_obj(&entries, &key)?;
                self.read_entry(id, &obj)
            })
            .filter(|e| e.deleted.is_none() && e.matches(query))
            .collect();
        crate::sort::by(&mut found, |a, b| {
            b.written.utc_ms.cmp(&a.written.utc_ms).then_with(|| a.id.cmp(&b.id))
        });
        found
    }

    /// The entries that match `query`, grouped by the day they were written, newest first.
    pub fn days(&self, query: &Query) -> Vec<Day> {
        Day::group(self.search(query))
    }

    /// Every tag in use on a live entry, with how many entries carry it, most used first.
    pub fn tags(&self) -> Vec<(String, usize)> {
        tag_counts(&self.entries())
    }

    /// Replaces the body with `text`. Returns `false` if there is no such entry.
    pub fn set_body(&mut self, id: &EntryId, text: &str) -> bool {
        let Some(obj) = self.entry_obj(id) else {
            return false;
        };
        if self.doc.get_text(&obj, "body") != text {
            self.doc.set_text(&obj, "body", text);
        }
        true
    }

    /// Sets or clears the prompt the entry answers.
    pub fn set_prompt(&mut self, id: &EntryId, prompt: Option<&str>) -> bool {
        let Some(obj) = self.entry_obj(id) else {
            return false;
        };
        match prompt.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => self.doc.put(&obj, "prompt", p),
            None if self.doc.get_str(&obj, "prompt").is_some() => self.doc.delete(&obj, "prompt"),
            None => {}
        }
        true
    }

    pub fn set_energy(&mut self, id: &EntryId, energy: Option<Energy>) -> bool {
        let Some(obj) = self.entry_obj(id) else {
            return false;
        };
        match energy {
            Some(e) => self.doc.put(&obj, "energy", i64::from(e.level())),
            None if self.doc.get_i64(&obj, "energy").is_some() => self.doc.delete(&obj, "energy"),
            None => {}
        }
        true
    }

    /// Adds a tag (normalized by [`normalize_tag`]). Returns the stored tag.
    pub fn add_tag(&mut self, id: &EntryId, raw: &str) -> Option<String> {
        let obj = self.entry_obj(id)?;
        let tag = normalize_tag(raw)?;
        let tags = self.tags_obj(&obj);
        self.doc.put(&tags, &tag, true);
        Some(tag)
    }

    pub fn remove_tag(&mut self, id: &EntryId, tag: &str) -> bool {
        let Some(obj) = self.entry_obj(id) else {
            return false;
        };
        let tags = self.tags_obj(&obj);
        if self.doc.keys(&tags).any(|t| t == tag) {
            self.doc.delete(&tags, tag);
        }
        true
    }

    /// Marks the entry deleted; [`Journal::restore`] undoes it.
    pub fn delete(&mut self, id: &EntryId, now_ms: i64) -> bool {
        let Some(obj) = self.entry_obj(id) else {
            return false;
        };
        self.doc.put(&obj, "deleted", ScalarValue::Timestamp(now_ms));
        true
    }

    pub fn restore(&mut self, id: &EntryId) -> bool {
        let Some(obj) = self.entry_obj(id) else {
            return false;
        };
        if self.doc.get_i64(&obj, "deleted").is_some() {
            self.doc.delete(&obj, "deleted");
        }
        true
    }

    fn entries_obj(&self) -> ObjId {
        self.doc.root_obj("entries")
    }

    fn entry_obj(&self, id: &EntryId) -> Option<ObjId> {
        self.doc.get_obj(&self.entries_obj(), &id.to_string())
    }

    fn tags_obj(&mut self, entry: &ObjId) -> ObjId {
        match self.doc.get_obj(entry, "tags") {
            Some(tags) => tags,
            None => self.doc.put_object(entry, "tags", ObjType::Map),
        }
    }

    fn read_entry(&self, id: EntryId, obj: &ObjId) -> Option<Entry> {
        let utc_ms = self.doc.get_i64(obj, "at")?;
        let offset_min = self.doc.get_i64(obj, "offset").and_then(|o| i32::try_from(o).ok()).unwrap_or(0);
        let mut tags: Vec<String> = match self.doc.get_obj(obj, "tags") {
            Some(tags) => self.doc.keys_set_true(&tags),
            None => Vec::new(),
        };
        crate::sort::ord(&mut tags);
        Some(Entry {
            id,
            written: Moment::new(utc_ms, offset_min),
            prompt: self.doc.get_str(obj, "prompt"),
            body: self.doc.get_text(obj, "body"),
            tags,
            energy: self.doc.get_i64(obj, "energy").and_then(|e| u8::try_from(e).ok()).and_then(Energy::new),
            deleted: self.doc.get_i64(obj, "deleted"),
        })
    }
}

#[cfg(test)]
mod tests;
