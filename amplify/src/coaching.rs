//! Coaching: the document a participant and their coach share (sessions, agreed actions,
//! goals), the journal entries the participant chose to share, and the coach's private notes.

use automerge::{ObjId, ObjType};
use serde::{Deserialize, Serialize};

use crate::{
    doc::{Doc, DocKind, Model},
    journal::Entry,
};

/// Who an action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Owner {
    Participant,
    Coach,
}

impl Owner {
    pub fn key(self) -> &'static str {
        match self {
            Owner::Participant => "participant",
            Owner::Coach => "coach",
        }
    }

    pub fn from_key(key: &str) -> Option<Owner> {
        [Owner::Participant, Owner::Coach].into_iter().find(|o| o.key() == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub notes: String,
    pub insights: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    pub text: String,
    pub owner: Owner,
    /// `YYYY-MM-DD`, or empty.
    pub due: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    pub id: String,
    pub text: String,
    pub achieved: bool,
}

/// The people in a coaching pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    pub participant: String,
    pub participant_name: String,
    pub coach: String,
    pub coach_name: String,
}

/// The document a participant and their coach share.
#[derive(Debug)]
pub struct Coaching {
    doc: Doc,
}

crate::doc::model!(
    Coaching,
    DocKind::Coaching,
    [("pair", ObjType::Map), ("sessions", ObjType::Map), ("actions", ObjType::Map), ("goals", ObjType::Map)]
);

impl Coaching {
    pub fn pair(&self) -> Pair {
        let p = self.doc.root_obj("pair");
        let get = |k: &str| self.doc.get_str(&p, k).unwrap_or_default();
        Pair {
            participant: get("participant"),
            participant_name: get("participant_name"),
            coach: get("coach"),
            coach_name: get("coach_name"),
        }
    }

    /// Records who is in the pair (each side sets its own half).
    pub fn set_person(&mut self, owner: Owner, person: &str, name: &str) {
        let p = self.doc.root_obj("pair");
        let (id_key, name_key) = match owner {
            Owner::Participant => ("participant", "participant_name"),
            Owner::Coach => ("coach", "coach_name"),
        };
        for (k, v) in [(id_key, person), (name_key, name)] {
            if self.doc.get_str(&p, k).as_deref() != Some(v) {
                self.doc.put(&p, k, v);
            }
        }
    }

    fn items(&self, container: &str) -> Vec<(String, ObjId)> {
        let obj = self.doc.root_obj(container);
        let mut items: Vec<(String, ObjId, i64)> = self
            .doc
            .keys(&obj)
            .filter_map(|id| {
                let item = self.doc.get_obj(&obj, &id)?;
                let at = self.doc.get_i64(&item, "at").unwrap_or_default();
                Some((id, item, at))
            })
            .collect();
        crate::sort::by(&mut items, |a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0)));
        items.into_iter().map(|(id, obj, _)| (id, obj)).collect()
    }

    fn add(&mut self, container: &str, at_ms: i64) -> (String, ObjId) {
        let id = crate::hex(&crate::random_bytes::<8>());
        let obj = self.doc.root_obj(container);
        let item = self.doc.put_object(&obj, &id, ObjType::Map);
        self.doc.put(&item, "at", at_ms);
        (id, item)
    }

    fn item(&self, container: &str, id: &str) -> Option<ObjId> {
        self.doc.get_obj(&self.doc.root_obj(container), id)
    }

    /// Sessions, oldest first.
    pub fn sessions(&self) -> Vec<Session> {
        self.items("sessions")
            .into_iter()
            .map(|(id, s)| Session {
                date: self.doc.get_str(&s, "date").unwrap_or_default(),
                notes: self.doc.get_text(&s, "notes"),
                insights: self.doc.get_text(&s, "insights"),
                id,
            })
            .collect()
    }

    pub fn add_session(&mut self, date: &str, at_ms: i64) -> String {
        let (id, s) = self.add("sessions", at_ms);
        self.doc.put(&s, "date", date);
        id
    }

    pub fn set_session_notes(&mut self, id: &str, notes: &str) {
        if let Some(s) = self.item("sessions", id) {
            self.doc.set_text(&s, "notes", notes);
        }
    }

    pub fn set_session_insights(&mut self, id: &str, insights: &str) {
        if let Some(s) = self.item("sessions", id) {
            self.doc.set_text(&s, "insights", insights);
        }
    }

    /// Agreed actions, in the order they were agreed.
    pub fn actions(&self) -> Vec<Action> {
        self.items("actions")
            .into_iter()
            .map(|(id, a)| Action {
                text: self.doc.get_text(&a, "text"),
                owner: self
                    .doc
                    .get_str(&a, "owner")
                    .and_then(|o| Owner::from_key(&o))
                    .unwrap_or(Owner::Participant),
                due: self.doc.get_str(&a, "due").unwrap_or_default(),
                done: self.doc.get_i64(&a, "done").is_some_and(|d| d > 0),
                id,
            })
            .collect()
    }

    pub fn add_action(&mut self, text: &str, owner: Owner, due: &str, at_ms: i64) -> String {
        let (id, a) = self.add("actions", at_ms);
        self.doc.put(&a, "owner", owner.key());
        self.doc.put(&a, "due", due);
        self.doc.set_text(&a, "text", text);
        id
    }

    /// Ticks an action off (`done_at` in UTC ms), or back on.
    pub fn set_done(&mut self, id: &str, done_at: Option<i64>) {
        if let Some(a) = self.item("actions", id) {
            self.doc.put(&a, "done", done_at.unwrap_or(0));
        }
    }

    pub fn goals(&self) -> Vec<Goal> {
        self.items("goals")
            .into_iter()
            .map(|(id, g)| Goal {
                text: self.doc.get_text(&g, "text"),
                achieved: self.doc.get_i64(&g, "achieved").is_some_and(|d| d > 0),
                id,
            })
            .collect()
    }

    pub fn add_goal(&mut self, text: &str, at_ms: i64) -> String {
        let (id, g) = self.add("goals", at_ms);
        self.doc.set_text(&g, "text", text);
        id
    }

    pub fn set_achieved(&mut self, id: &str, at: Option<i64>) {
        if let Some(g) = self.item("goals", id) {
            self.doc.put(&g, "achieved", at.unwrap_or(0));
        }
    }

    /// When anything in the pair's document last happened (UTC ms): for the coach's "stalled".
    pub fn last_activity(&self) -> i64 {
        ["sessions", "actions", "goals"]
            .iter()
            .flat_map(|c| self.items(c))
            .flat_map(|(_, item)| [self.doc.get_i64(&item, "at"), self.doc.get_i64(&item, "done")])
            .flatten()
            .max()
            .unwrap_or(0)
    }
}

/// A journal entry the participant chose to share with their coach: a copy, in the pair's
/// space. Unsharing replaces it with a [`SharedEntry::withdrawn`] document.
#[derive(Debug)]
pub struct SharedEntry {
    doc: Doc,
}

/// What a shared entry holds, read out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedView {
    pub title: String,
    pub prompt: Option<String>,
    pub body: String,
    pub tags: Vec<String>,
    pub written_ms: i64,
    pub shared_ms: i64,
    pub withdrawn: bool,
}

crate::doc::model!(SharedEntry, DocKind::SharedEntry, [("entry", ObjType::Map)]);

impl SharedEntry {
    /// Copies `entry` in, as shared at `shared_ms`.
    pub fn share(&mut self, entry: &Entry, shared_ms: i64) {
        let e = self.doc.root_obj("entry");
        self.doc.put(&e, "title", entry.title().as_str());
        if let Some(prompt) = &entry.prompt {
            self.doc.put(&e, "prompt", prompt.as_str());
        }
        self.doc.put(&e, "tags", entry.tags.join(",").as_str());
        self.doc.put(&e, "written", entry.written.utc_ms);
        self.doc.put(&e, "shared", shared_ms);
        self.doc.set_text(&e, "body", &entry.body);
    }

    /// A fresh document that says only "withdrawn": what replaces a shared entry on the relay
    /// when it is unshared. It has none of the entry's history.
    pub fn withdrawn() -> SharedEntry {
        let mut shared = SharedEntry::new();
        let e = shared.doc.root_obj("entry");
        shared.doc.put(&e, "withdrawn", true);
        shared
    }

    /// Marks the copy withdrawn and empties it: what unsharing sends to the coach.
    pub fn withdraw(&mut self) {
        let e = self.doc.root_obj("entry");
        self.doc.put(&e, "withdrawn", true);
        self.doc.set_text(&e, "body", "");
        for key in ["title", "prompt", "tags"] {
            if self.doc.get_str(&e, key).is_some() {
                self.doc.delete(&e, key);
            }
        }
    }

    pub fn view(&self) -> SharedView {
        let e = self.doc.root_obj("entry");
        let tags = self.doc.get_str(&e, "tags").unwrap_or_default();
        SharedView {
            title: self.doc.get_str(&e, "title").unwrap_or_default(),
            prompt: self.doc.get_str(&e, "prompt"),
            body: self.doc.get_text(&e, "body"),
            tags: tags.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
            written_ms: self.doc.get_i64(&e, "written").unwrap_or_default(),
            shared_ms: self.doc.get_i64(&e, "shared").unwrap_or_default(),
            withdrawn: self.doc.get_bool(&e, "withdrawn"),
        }
    }
}

/// Free text kept in one document: a coach's private notes on a coachee.
#[derive(Debug)]
pub struct Notes {
    doc: Doc,
}

crate::doc::model!(Notes, DocKind::Notes, [("fields", ObjType::Map)]);

impl Notes {
    pub fn text(&self) -> String {
        self.doc.get_text(&self.doc.root_obj("fields"), "text")
    }

    pub fn set_text(&mut self, text: &str) {
        let fields = self.doc.root_obj("fields");
        if self.doc.get_text(&fields, "text") != text {
            self.doc.set_text(&fields, "text", text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Journal, Moment};

    #[test]
    fn sessions_actions_and_goals() {
        let mut c = Coaching::new();
        c.set_person(Owner::Participant, "maya", "Maya");
        c.set_person(Owner::Coach, "ines", "Inès");
        let s = c.add_session("2026-11-24", 10);
        c.set_session_notes(&s, "Talked about the pitch.");
        let a = c.add_action("Book the pitch room", Owner::Participant, "2026-11-30", 11);
        c.add_action("Send the reading list", Owner::Coach, "", 12);
        c.add_goal("Lead a meeting without notes", 13);
        c.set_done(&a, Some(50));
        let loaded = Coaching::load(&c.doc_mut().save()).unwrap();
        assert_eq!(loaded.pair().coach_name, "Inès");
        assert_eq!(loaded.sessions()[0].notes, "Talked about the pitch.");
        assert_eq!(
            loaded.actions().iter().map(|a| (a.done, a.owner)).collect::<Vec<_>>(),
            [(true, Owner::Participant), (false, Owner::Coach)]
        );
        assert_eq!(loaded.last_activity(), 50);
        c.set_done(&a, None);
        assert!(!c.actions()[0].done);
    }

    #[test]
    fn a_withdrawn_entry_carries_nothing_of_the_original() {
        let mut journal = Journal::new();
        let id = journal.add_entry(Moment::new(5, 0), Some("What do I stand for?"));
        journal.set_body(&id, "SECRET-ish reflection");
        journal.add_tag(&id, "values");
        let mut shared = SharedEntry::new();
        shared.share(&journal.entry(&id).unwrap(), 9);
        let view = shared.view();
        assert_eq!(
            (view.body.as_str(), view.tags.as_slice(), view.shared_ms),
            ("SECRET-ish reflection", &["values".to_owned()][..], 9)
        );

        shared.withdraw();
        let view = shared.view();
        assert!(view.withdrawn && view.body.is_empty() && view.tags.is_empty() && view.title.is_empty());

        let mut withdrawn = SharedEntry::withdrawn();
        let bytes = withdrawn.doc_mut().save();
        assert!(withdrawn.view().withdrawn);
        assert!(!bytes.windows(6).any(|w| w == b"SECRET"), "no history of the text");
    }
}
