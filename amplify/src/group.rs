//! A home group's shared document: its name, who is in it, and notes everyone edits.

use automerge::ObjType;
use serde::{Deserialize, Serialize};

use crate::doc::{Doc, DocKind};

/// One person in the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The person's id: their own space's id, in hex. Stable across their devices.
    pub person: String,
    pub name: String,
    pub joined_ms: i64,
}

/// The document a home group shares.
#[derive(Debug)]
pub struct Group {
    doc: Doc,
}

crate::doc::model!(Group, DocKind::Group, [("members", ObjType::Map), ("fields", ObjType::Map)]);

impl Group {
    pub fn name(&self) -> String {
        self.doc.get_text(&self.doc.root_obj("fields"), "name")
    }

    pub fn set_name(&mut self, name: &str) {
        let fields = self.doc.root_obj("fields");
        self.doc.set_text(&fields, "name", name);
    }

    /// The group's shared notes: agendas, agreements, whatever the group keeps together.
    pub fn notes(&self) -> String {
        self.doc.get_text(&self.doc.root_obj("fields"), "notes")
    }

    pub fn set_notes(&mut self, notes: &str) {
        let fields = self.doc.root_obj("fields");
        self.doc.set_text(&fields, "notes", notes);
    }

    /// Everyone in the group, in the order they joined.
    pub fn members(&self) -> Vec<Member> {
        let members = self.doc.root_obj("members");
        let mut list: Vec<Member> = self
            .doc
            .keys(&members)
            .filter_map(|person| {
                let obj = self.doc.get_obj(&members, &person)?;
                Some(Member {
                    name: self.doc.get_str(&obj, "name").unwrap_or_default(),
                    joined_ms: self.doc.get_i64(&obj, "joined").unwrap_or_default(),
                    person,
                })
            })
            .collect();
        crate::sort::by(&mut list, |a, b| {
            a.joined_ms.cmp(&b.joined_ms).then_with(|| a.person.cmp(&b.person))
        });
        list
    }

    /// Adds `person` (or updates their name). Joining twice keeps the first join time.
    pub fn add_member(&mut self, person: &str, name: &str, now_ms: i64) {
        let members = self.doc.root_obj("members");
        let obj = match self.doc.get_obj(&members, person) {
            Some(obj) => obj,
            None => {
                let obj = self.doc.put_object(&members, person, ObjType::Map);
                self.doc.put(&obj, "joined", now_ms);
                obj
            }
        };
        if self.doc.get_str(&obj, "name").as_deref() != Some(name) {
            self.doc.put(&obj, "name", name);
        }
    }

    /// Whether `person` is in the group.
    pub fn has_member(&self, person: &str) -> bool {
        self.doc.has(&self.doc.root_obj("members"), person)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;

    #[test]
    fn members_join_once_and_are_listed_in_order() {
        let mut group = Group::new();
        group.set_name("Nordics Rising");
        group.add_member("bb", "Sam", 20);
        group.add_member("aa", "Maya", 10);
        group.add_member("bb", "Sam Okafor", 30);
        let names: Vec<_> = group.members().into_iter().map(|m| (m.name, m.joined_ms)).collect();
        assert_eq!(names, [("Maya".to_owned(), 10), ("Sam Okafor".to_owned(), 20)]);
        assert!(group.has_member("aa") && !group.has_member("cc"));
        let loaded = Group::load(&group.doc_mut().save()).unwrap();
        assert_eq!(loaded.name(), "Nordics Rising");
    }
}
