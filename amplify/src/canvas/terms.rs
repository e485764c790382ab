//! The canvas's vocabulary: its fields and sections, an experiment's stages, the decisions a
//! group can take, and the risks an assumption carries.

use serde::{Deserialize, Serialize};

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
