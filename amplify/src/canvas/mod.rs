//! An experiment canvas: one participant's lean-startup experiment, co-edited by their home
//! group. It lives in the group's space, so only the group (and nobody else) can read it.
//!
//! Layout: `fields` (map of text: the problem, the test card, the learning card, the decision's
//! reason, the business impact), `meta` (owner, stage, decision, decision date, and
//! `edited.<part>`: who last wrote a part and when, see [`Canvas::edited`]), `assumptions`
//! (id → {text, risk, importance, evidence}), `evidence` (id → {at, by, text}), `comments`
//! (id → {on, person, name, text, at, resolved_by}: `on` is the field's key).

use automerge::{ChangeHash, ObjId, ObjType};
use serde::{Deserialize, Serialize};

use crate::doc::{Doc, DocKind};

mod terms;

pub use self::terms::{Decision, Field, Risk, Section, Stage};

/// An assumption, placed by how important it is and how much evidence backs it (1 to 3 each):
/// important and unproven is the riskiest, to test first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assumption {
    pub id: String,
    pub text: String,
    pub risk: Risk,
    pub importance: u8,
    pub evidence: u8,
}

impl Assumption {
    /// Higher is riskier: important, with little evidence.
    pub fn riskiness(&self) -> i32 {
        i32::from(self.importance) * 3 - i32::from(self.evidence)
    }
}

/// One line of the evidence log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: String,
    pub at_ms: i64,
    pub by: String,
    pub text: String,
}

/// A comment from the group on one part of the canvas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    /// A [`Field::key`], or `assumptions`, `evidence`, `stage`.
    pub on: String,
    pub person: String,
    pub name: String,
    pub text: String,
    pub at_ms: i64,
    /// Who resolved it, if someone did.
    pub resolved_by: Option<String>,
}

/// Who last wrote a part of the canvas, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub person: String,
    pub name: String,
    pub at_ms: i64,
}

/// A person's run of edits to one part counts as one edit for this long: typing does not write
/// who-and-when at every keystroke.
const EDIT_RUN_MS: i64 = 60_000;

/// What the showcase publishes of an experiment: the story, not the workings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    pub problem: String,
    pub for_whom: String,
    pub test: String,
    pub evidence: Vec<String>,
    pub learning: String,
    pub decision: Option<String>,
    pub impact: String,
}

/// One participant's experiment canvas.
#[derive(Debug)]
pub struct Canvas {
    doc: Doc,
}

crate::doc::model!(
    Canvas,
    DocKind::Canvas,
    [
        ("fields", ObjType::Map),
        ("meta", ObjType::Map),
        ("assumptions", ObjType::Map),
        ("evidence", ObjType::Map),
        ("comments", ObjType::Map)
    ]
);

impl Canvas {
    pub fn get(&self, field: Field) -> String {
        self.doc.get_text(&self.doc.root_obj("fields"), field.key())
    }

    pub fn set(&mut self, field: Field, text: &str) {
        let fields = self.doc.root_obj("fields");
        if self.doc.get_text(&fields, field.key()) != text {
            self.doc.set_text(&fields, field.key(), text);
        }
    }

    /// Who last wrote `part` (a [`Field::key`], or `assumptions`, `decision`), and when. Two
    /// people writing at once: automerge keeps one of them, the same on every device.
    pub fn edited(&self, part: &str) -> Option<Edit> {
        let value = self.doc.get_str(&self.doc.root_obj("meta"), &format!("edited.{part}"))?;
        let mut parts = value.splitn(3, '\t');
        let at_ms = parts.next()?.parse().ok()?;
        Some(Edit {
            at_ms,
            person: parts.next()?.to_owned(),
            name: parts.next().unwrap_or_default().to_owned(),
        })
    }

    /// Notes that `person` (`name`) wrote `part` at `at_ms`; a run of their edits within a minute
    /// of the last one noted is one edit (the time stays the run's first).
    pub fn note_edit(&mut self, part: &str, person: &str, name: &str, at_ms: i64) {
        if let Some(last) = self.edited(part)
            && last.person == person
            && last.name == name
            && (0..EDIT_RUN_MS).contains(&(at_ms - last.at_ms))
        {
            return;
        }
        let meta = self.doc.root_obj("meta");
        self.doc.put(&meta, &format!("edited.{part}"), format!("{at_ms}\t{person}\t{name}"));
    }

    /// The person whose experiment this is (their id), set once.
    pub fn owner(&self) -> Option<String> {
        self.doc.get_str(&self.doc.root_obj("meta"), "owner")
    }

    pub fn set_owner(&mut self, person: &str) {
        let meta = self.doc.root_obj("meta");
        if self.doc.get_str(&meta, "owner").is_none() {
            self.doc.put(&meta, "owner", person);
        }
    }

    pub fn stage(&self) -> Stage {
        self.doc
            .get_str(&self.doc.root_obj("meta"), "stage")
            .and_then(|s| Stage::from_key(&s))
            .unwrap_or(Stage::Idea)
    }

    pub fn set_stage(&mut self, stage: Stage) {
        let meta = self.doc.root_obj("meta");
        self.doc.put(&meta, "stage", stage.key());
    }

    pub fn decision(&self) -> Option<(Decision, String)> {
        let meta = self.doc.root_obj("meta");
        let decision = self.doc.get_str(&meta, "decision").and_then(|d| Decision::from_key(&d))?;
        Some((decision, self.doc.get_str(&meta, "decided_on").unwrap_or_default()))
    }

    /// Records the decision and the day it was taken (`2026-11-24`).
    pub fn decide(&mut self, decision: Decision, on: &str) {
        let meta = self.doc.root_obj("meta");
        self.doc.put(&meta, "decision", decision.key());
        self.doc.put(&meta, "decided_on", on);
    }

    /// Every assumption, riskiest first.
    pub fn assumptions(&self) -> Vec<Assumption> {
        let obj = self.doc.root_obj("assumptions");
        let mut list: Vec<Assumption> = self
            .doc
            .keys(&obj)
            .filter_map(|id| {
                let a = self.doc.get_obj(&obj, &id)?;
                let level = |k: &str| {
                    self.doc.get_i64(&a, k).and_then(|v| u8::try_from(v).ok()).unwrap_or(2).clamp(1, 3)
                };
                Some(Assumption {
                    text: self.doc.get_text(&a, "text"),
                    risk: self
                        .doc
                        .get_str(&a, "risk")
                        .and_then(|r| Risk::from_key(&r))
                        .unwrap_or(Risk::Desirable),
                    importance: level("importance"),
                    evidence: level("evidence"),
                    id,
                })
            })
            .collect();
        crate::sort::by(&mut list, |a, b| b.riskiness().cmp(&a.riskiness()).then_with(|| a.id.cmp(&b.id)));
        list
    }

    pub fn add_assumption(&mut self, text: &str, risk: Risk) -> String {
        let id = crate::hex(&crate::random_bytes::<8>());
        let obj = self.doc.root_obj("assumptions");
        let a = self.doc.put_object(&obj, &id, ObjType::Map);
        self.doc.put(&a, "risk", risk.key());
        self.doc.put(&a, "importance", 2i64);
        self.doc.put(&a, "evidence", 1i64);
        self.doc.set_text(&a, "text", text);
        id
    }

    fn assumption_obj(&self, id: &str) -> Option<ObjId> {
        self.doc.get_obj(&self.doc.root_obj("assumptions"), id)
    }

    pub fn set_assumption_text(&mut self, id: &str, text: &str) {
        if let Some(a) = self.assumption_obj(id)
            && self.doc.get_text(&a, "text") != text
        {
            self.doc.set_text(&a, "text", text);
        }
    }

    pub fn set_assumption_risk(&mut self, id: &str, risk: Risk) {
        if let Some(a) = self.assumption_obj(id) {
            self.doc.put(&a, "risk", risk.key());
        }
    }

    /// Places an assumption: importance and evidence from 1 (low) to 3 (high).
    pub fn place_assumption(&mut self, id: &str, importance: u8, evidence: u8) {
        if let Some(a) = self.assumption_obj(id) {
            self.doc.put(&a, "importance", i64::from(importance.clamp(1, 3)));
            self.doc.put(&a, "evidence", i64::from(evidence.clamp(1, 3)));
        }
    }

    pub fn remove_assumption(&mut self, id: &str) {
        let obj = self.doc.root_obj("assumptions");
        if self.doc.get_obj(&obj, id).is_some() {
            self.doc.delete(&obj, id);
        }
    }

    /// The evidence log, oldest first.
    pub fn evidence(&self) -> Vec<Evidence> {
        let obj = self.doc.root_obj("evidence");
        let mut list: Vec<Evidence> = self
            .doc
            .keys(&obj)
            .filter_map(|id| {
                let e = self.doc.get_obj(&obj, &id)?;
                Some(Evidence {
                    at_ms: self.doc.get_i64(&e, "at").unwrap_or_default(),
                    by: self.doc.get_str(&e, "by").unwrap_or_default(),
                    text: self.doc.get_text(&e, "text"),
                    id,
                })
            })
            .collect();
        crate::sort::by(&mut list, |a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.id.cmp(&b.id)));
        list
    }

    pub fn add_evidence(&mut self, text: &str, by: &str, at_ms: i64) -> String {
        let id = crate::hex(&crate::random_bytes::<8>());
        let obj = self.doc.root_obj("evidence");
        let e = self.doc.put_object(&obj, &id, ObjType::Map);
        self.doc.put(&e, "at", at_ms);
        self.doc.put(&e, "by", by);
        self.doc.set_text(&e, "text", text);
        id
    }

    /// Comments, oldest first; resolved ones too.
    pub fn comments(&self) -> Vec<Comment> {
        let obj = self.doc.root_obj("comments");
        let mut list: Vec<Comment> = self
            .doc
            .keys(&obj)
            .filter_map(|id| {
                let c = self.doc.get_obj(&obj, &id)?;
                Some(Comment {
                    on: self.doc.get_str(&c, "on").unwrap_or_default(),
                    person: self.doc.get_str(&c, "person").unwrap_or_default(),
                    name: self.doc.get_str(&c, "name").unwrap_or_default(),
                    text: self.doc.get_str(&c, "text").unwrap_or_default(),
                    at_ms: self.doc.get_i64(&c, "at").unwrap_or_default(),
                    resolved_by: self.doc.get_str(&c, "resolved_by"),
                    id,
                })
            })
            .collect();
        crate::sort::by(&mut list, |a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.id.cmp(&b.id)));
        list
    }

    pub fn comment(&mut self, on: &str, person: &str, name: &str, text: &str, at_ms: i64) -> String {
        let id = crate::hex(&crate::random_bytes::<8>());
        let obj = self.doc.root_obj("comments");
        let c = self.doc.put_object(&obj, &id, ObjType::Map);
        for (k, v) in [("on", on), ("person", person), ("name", name), ("text", text)] {
            self.doc.put(&c, k, v);
        }
        self.doc.put(&c, "at", at_ms);
        id
    }

    /// Marks a comment resolved, by `name`. Resolved comments stay, folded away.
    pub fn resolve(&mut self, id: &str, name: &str) {
        if let Some(c) = self.doc.get_obj(&self.doc.root_obj("comments"), id) {
            self.doc.put(&c, "resolved_by", name);
        }
    }

    /// The fields whose text differs from what it was at `heads`: what others changed since
    /// someone last looked. Unknown heads (from another copy) count as "changed everywhere"
    /// only for fields that have text.
    pub fn changed_since(&self, heads: &[ChangeHash]) -> Vec<Field> {
        let fields = self.doc.root_obj("fields");
        Field::ALL
            .into_iter()
            .filter(|f| {
                let now = self.doc.get_text(&fields, f.key());
                let Some(then) = self.doc.get_text_at(&fields, f.key(), heads) else {
                    return !now.is_empty();
                };
                now != then
            })
            .collect()
    }

    /// The story the showcase tells.
    pub fn story(&self) -> Story {
        let join = |fields: &[Field]| {
            fields
                .iter()
                .map(|f| self.get(*f))
                .filter(|t| !t.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        Story {
            problem: self.get(Field::Problem),
            for_whom: self.get(Field::ForWhom),
            test: join(&[Field::WeBelieve, Field::ToVerify, Field::Measure, Field::RightIf]),
            evidence: self.evidence().into_iter().map(|e| e.text).filter(|t| !t.trim().is_empty()).collect(),
            learning: join(&[Field::WeObserved, Field::WeLearned, Field::ThereforeWe]),
            decision: self.decision().map(|(d, _)| d.label().to_owned()),
            impact: self.get(Field::Impact),
        }
    }
}

#[cfg(test)]
mod tests;
