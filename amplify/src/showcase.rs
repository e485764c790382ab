//! A published experiment: what the cohort's showcase and the Little Black Book show of it. The
//! participant publishes (and republishes) a copy of their canvas's story into the cohort's
//! space, where executives can read it; the canvas itself stays with the home group.

use automerge::ObjType;
use serde::{Deserialize, Serialize};

use crate::{
    canvas::{Stage, Story},
    doc::{Doc, DocKind},
};

/// A showcase card, read out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub person: String,
    pub name: String,
    pub region: String,
    pub stage: Stage,
    pub story: Story,
    pub published_ms: i64,
}

/// One participant's published experiment.
#[derive(Debug)]
pub struct Showcase {
    doc: Doc,
}

crate::doc::model!(Showcase, DocKind::Showcase, [("card", ObjType::Map)]);

impl Showcase {
    /// Replaces the card with `published`. Only its owner writes it, so plain values will do.
    pub fn publish(&mut self, published: &Published) {
        let card = self.doc.root_obj("card");
        let story = serde_json::to_string(&published.story).expect("a story serializes");
        for (k, v) in [
            ("person", published.person.as_str()),
            ("name", published.name.as_str()),
            ("region", published.region.as_str()),
            ("stage", published.stage.key()),
            ("story", story.as_str()),
        ] {
            if self.doc.get_str(&card, k).as_deref() != Some(v) {
                self.doc.put(&card, k, v);
            }
        }
        self.doc.put(&card, "published", published.published_ms);
    }

    /// The card, if anything was published.
    pub fn card(&self) -> Option<Published> {
        let card = self.doc.root_obj("card");
        Some(Published {
            person: self.doc.get_str(&card, "person")?,
            name: self.doc.get_str(&card, "name").unwrap_or_default(),
            region: self.doc.get_str(&card, "region").unwrap_or_default(),
            stage: self
                .doc
                .get_str(&card, "stage")
                .and_then(|s| Stage::from_key(&s))
                .unwrap_or(Stage::Showcased),
            story: self
                .doc
                .get_str(&card, "story")
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
            published_ms: self.doc.get_i64(&card, "published").unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;

    #[test]
    fn a_card_round_trips_and_republishing_replaces_it() {
        let mut showcase = Showcase::new();
        assert_eq!(showcase.card(), None);
        let mut published = Published {
            person: "maya".into(),
            name: "Maya".into(),
            region: "Nordics".into(),
            stage: Stage::Decided,
            story: Story {
                problem: "Older fans".into(),
                evidence: vec!["12 of 40".into()],
                ..Story::default()
            },
            published_ms: 1,
        };
        showcase.publish(&published);
        published.stage = Stage::Showcased;
        published.story.impact = "A radio partnership".into();
        showcase.publish(&published);
        let loaded = Showcase::load(&showcase.doc_mut().save()).unwrap();
        assert_eq!(loaded.card(), Some(published));
    }
}
