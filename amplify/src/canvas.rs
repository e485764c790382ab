//! An experiment canvas: one participant's lean-startup experiment, co-edited by their home
//! group. It lives in the group's space, so only the group (and nobody else) can read it.
//!
//! Layout: `fields` (map of text: the problem, the test card, the learning card, the decision's
//! reason, the business impact), `meta` (owner, stage, decision, decision date), `assumptions`
//! (id → {text, kind, importance, evidence}), `evidence` (id → {at, by, text}), `comments`
//! (id → {field, person, name, text, at, resolved_by, resolved_at}).

use automerge::{ChangeHash, ObjId, ObjType, ReadDoc, transaction::Transactable};
use serde::{Deserialize, Serialize};

use crate::doc::{Doc, DocKind, Model};

/// The canvas's text fields, in the order the canvas asks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    Problem,
    ForWhom,
    WhyICare,
    WeBelieve,
    ToVerify,
    Measure,
    RightIf,
    WeBelieved,
    WeObserved,
    WeLearned,
    ThereforeWe,
    DecisionReason,
    Impact,
}

/// Which part of the canvas a field is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Problem,
    TestCard,
    LearningCard,
    Decision,
}

impl Field {
    pub const ALL: [Field; 13] = [
        Field::Problem,
        Field::ForWhom,
        Field::WhyICare,
        Field::WeBelieve,
        Field::ToVerify,
        Field::Measure,
        Field::RightIf,
        Field::WeBelieved,
        Field::WeObserved,
        Field::WeLearned,
        Field::ThereforeWe,
        Field::DecisionReason,
        Field::Impact,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Field::Problem => "problem",
            Field::ForWhom => "for_whom",
            Field::WhyICare => "why_i_care",
            Field::WeBelieve => "we_believe",
            Field::ToVerify => "to_verify",
            Field::Measure => "measure",
            Field::RightIf => "right_if",
            Field::WeBelieved => "we_believed",
            Field::WeObserved => "we_observed",
            Field::WeLearned => "we_learned",
            Field::ThereforeWe => "therefore_we",
            Field::DecisionReason => "decision_reason",
            Field::Impact => "impact",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The canvas's question, as the participant sees it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Problem => "What problem am I personally motivated to solve?",
            Field::ForWhom => "For whom?",
            Field::WhyICare => "Why do I care?",
            Field::WeBelieve => "We believe that…",
            Field::ToVerify => "To verify that, we will…",
            Field::Measure => "And measure…",
            Field::RightIf => "We are right if…",
            Field::WeBelieved => "We believed…",
            Field::WeObserved => "We observed…",
            Field::WeLearned => "We learned…",
            Field::ThereforeWe => "Therefore we will…",
            Field::DecisionReason => "Why we decided so",
            Field::Impact => "Business impact",
        }
    }

    pub fn section(self) -> Section {
        match self {
            Field::Problem | Field::ForWhom | Field::WhyICare => Section::Problem,
            Field::WeBelieve | Field::ToVerify | Field::Measure | Field::RightIf => Section::TestCard,
            Field::WeBelieved | Field::WeObserved | Field::WeLearned | Field::ThereforeWe => {
                Section::LearningCard
            }
            Field::DecisionReason | Field::Impact => Section::Decision,
        }
    }
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Problem => "The problem",
            Section::TestCard => "Test card",
            Section::LearningCard => "Learning card",
            Section::Decision => "Decision and impact",
        }
    }
}

/// Where an experiment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    Idea,
    Designed,
    Running,
    Learning,
    Decided,
    Showcased,
}

impl Stage {
    pub const ALL: [Stage; 6] =
        [Stage::Idea, Stage::Designed, Stage::Running, Stage::Learning, Stage::Decided, Stage::Showcased];

    pub fn key(self) -> &'static str {
        match self {
            Stage::Idea => "idea",
            Stage::Designed => "designed",
            Stage::Running => "running",
            Stage::Learning => "learning",
            Stage::Decided => "decided",
            Stage::Showcased => "showcased",
        }
    }

    pub fn from_key(key: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Idea => "Idea",
            Stage::Designed => "Designed",
            Stage::Running => "Running",
            Stage::Learning => "Learning",
            Stage::Decided => "Decided",
            Stage::Showcased => "Showcased",
        }
    }
}

/// What the group decided to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Decision {
    Persevere,
    Pivot,
    Stop,
    TestMore,
}

impl Decision {
    pub const ALL: [Decision; 4] = [Decision::Persevere, Decision::Pivot, Decision::Stop, Decision::TestMore];

    pub fn key(self) -> &'static str {
        match self {
            Decision::Persevere => "persevere",
            Decision::Pivot => "pivot",
            Decision::Stop => "stop",
            Decision::TestMore => "test_more",
        }
    }

    pub fn from_key(key: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Persevere => "Persevere",
            Decision::Pivot => "Pivot",
            Decision::Stop => "Stop",
            Decision::TestMore => "Test more",
        }
    }
}

/// Which risk an assumption carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Risk {
    Desirable,
    Feasible,
    Viable,
}

impl Risk {
    pub const ALL: [Risk; 3] = [Risk::Desirable, Risk::Feasible, Risk::Viable];

    pub fn key(self) -> &'static str {
        match self {
            Risk::Desirable => "desirable",
            Risk::Feasible => "feasible",
            Risk::Viable => "viable",
        }
    }

    pub fn from_key(key: &str) -> Option<Risk> {
        Risk::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Risk::Desirable => "Desirable",
            Risk::Feasible => "Feasible",
            Risk::Viable => "Viable",
        }
    }
}

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

impl Model for Canvas {
    const KIND: DocKind = DocKind::Canvas;

    fn new() -> Canvas {
        Canvas {
            doc: Doc::create(
                DocKind::Canvas,
                &[
                    ("fields", ObjType::Map),
                    ("meta", ObjType::Map),
                    ("assumptions", ObjType::Map),
                    ("evidence", ObjType::Map),
                    ("comments", ObjType::Map),
                ],
            ),
        }
    }

    fn from_doc(doc: Doc) -> Canvas {
        Canvas { doc }
    }

    fn doc(&self) -> &Doc {
        &self.doc
    }

    fn doc_mut(&mut self) -> &mut Doc {
        &mut self.doc
    }
}

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
        list.sort_by(|a, b| b.riskiness().cmp(&a.riskiness()).then_with(|| a.id.cmp(&b.id)));
        list
    }

    pub fn add_assumption(&mut self, text: &str, risk: Risk) -> String {
        let id = crate::hex(&crate::random_bytes::<8>());
        let obj = self.doc.root_obj("assumptions");
        let am = self.doc.inner_mut();
        let a = am.put_object(&obj, &id, ObjType::Map).expect("assumptions is a map");
        am.put(&a, "risk", risk.key()).expect("a map");
        am.put(&a, "importance", 2i64).expect("a map");
        am.put(&a, "evidence", 1i64).expect("a map");
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
        list.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.id.cmp(&b.id)));
        list
    }

    pub fn add_evidence(&mut self, text: &str, by: &str, at_ms: i64) -> String {
        let id = crate::hex(&crate::random_bytes::<8>());
        let obj = self.doc.root_obj("evidence");
        let am = self.doc.inner_mut();
        let e = am.put_object(&obj, &id, ObjType::Map).expect("evidence is a map");
        am.put(&e, "at", at_ms).expect("a map");
        am.put(&e, "by", by).expect("a map");
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
        list.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.id.cmp(&b.id)));
        list
    }

    pub fn comment(&mut self, on: &str, person: &str, name: &str, text: &str, at_ms: i64) -> String {
        let id = crate::hex(&crate::random_bytes::<8>());
        let obj = self.doc.root_obj("comments");
        let am = self.doc.inner_mut();
        let c = am.put_object(&obj, &id, ObjType::Map).expect("comments is a map");
        for (k, v) in [("on", on), ("person", person), ("name", name), ("text", text)] {
            am.put(&c, k, v).expect("a map");
        }
        am.put(&c, "at", at_ms).expect("a map");
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
        let am = self.doc.inner();
        Field::ALL
            .into_iter()
            .filter(|f| {
                let now = self.doc.get_text(&fields, f.key());
                let then = match am.get_at(&fields, f.key(), heads) {
                    Ok(Some((_, text))) => am.text_at(&text, heads).unwrap_or_default(),
                    Ok(None) => String::new(),
                    Err(_) => return !now.is_empty(),
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
mod tests {
    use super::*;

    #[test]
    fn fields_stage_and_decision_round_trip() {
        let mut canvas = Canvas::new();
        canvas.set_owner("maya");
        canvas.set_owner("someone else");
        canvas.set(Field::Problem, "Older listeners never try streaming.");
        canvas.set_stage(Stage::Running);
        canvas.decide(Decision::Pivot, "2026-11-24");
        let loaded = Canvas::load(&canvas.doc_mut().save()).unwrap();
        assert_eq!(loaded.owner().as_deref(), Some("maya"), "the owner is set once");
        assert_eq!(loaded.get(Field::Problem), "Older listeners never try streaming.");
        assert_eq!(loaded.stage(), Stage::Running);
        assert_eq!(loaded.decision(), Some((Decision::Pivot, "2026-11-24".to_owned())));
        assert_eq!(Canvas::new().stage(), Stage::Idea);
    }

    #[test]
    fn the_riskiest_assumption_comes_first() {
        let mut canvas = Canvas::new();
        let safe = canvas.add_assumption("Labels will share data", Risk::Feasible);
        let risky = canvas.add_assumption("Grandparents want playlists", Risk::Desirable);
        canvas.place_assumption(&safe, 1, 3);
        canvas.place_assumption(&risky, 3, 1);
        canvas.set_assumption_text(&risky, "Grandparents want curated playlists");
        let list = canvas.assumptions();
        assert_eq!(list[0].text, "Grandparents want curated playlists");
        assert_eq!(list[1].id, safe);
        canvas.remove_assumption(&safe);
        assert_eq!(canvas.assumptions().len(), 1);
    }

    #[test]
    fn comments_resolve_and_the_story_tells_the_experiment() {
        let mut canvas = Canvas::new();
        canvas.set(Field::Problem, "Older fans miss new releases");
        canvas.set(Field::WeBelieve, "a weekly email will bring them");
        canvas.set(Field::WeLearned, "they prefer radio");
        canvas.add_evidence("12 of 40 opened the email", "Sam", 2);
        canvas.add_evidence("3 asked for a radio show", "Maya", 1);
        let c = canvas.comment("problem", "sam", "Sam", "Which markets?", 5);
        canvas.resolve(&c, "Maya");
        assert_eq!(canvas.comments()[0].resolved_by.as_deref(), Some("Maya"));
        let story = canvas.story();
        assert_eq!(story.evidence, ["3 asked for a radio show", "12 of 40 opened the email"]);
        assert_eq!(story.test, "a weekly email will bring them");
        assert_eq!(story.learning, "they prefer radio");
    }

    #[test]
    fn changes_since_a_look_are_named_by_field() {
        let mut canvas = Canvas::new();
        canvas.set(Field::Problem, "first");
        let seen = canvas.doc_mut().heads();
        canvas.set(Field::Problem, "first, edited");
        canvas.set(Field::Impact, "new");
        assert_eq!(canvas.changed_since(&seen), [Field::Problem, Field::Impact]);
        let now = canvas.doc_mut().heads();
        assert!(canvas.changed_since(&now).is_empty());
    }

    #[test]
    fn two_group_members_editing_one_field_offline_keep_both_edits() {
        let mut maya = Canvas::new();
        maya.set(Field::WeBelieve, "fans will pay");
        let mut sam = Canvas::load(&maya.doc_mut().save()).unwrap();
        maya.set(Field::WeBelieve, "fans will pay for early access");
        sam.set(Field::WeBelieve, "young fans will pay");
        let from_sam = sam.doc_mut().save();
        maya.doc_mut().apply(&from_sam).unwrap();
        assert_eq!(maya.get(Field::WeBelieve), "young fans will pay for early access");
    }
}
