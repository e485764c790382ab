//! A person's profile: what the Little Black Book prints about them.

use automerge::ObjType;
use serde::{Deserialize, Serialize};

use crate::doc::{Doc, DocKind};

/// The profile's fields, read out of the document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileFields {
    pub name: String,
    pub role: String,
    pub region: String,
    /// A short leadership statement in the person's own words.
    pub statement: String,
}

/// Which profile field to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileField {
    Name,
    Role,
    Region,
    Statement,
}

impl ProfileField {
    pub const ALL: [ProfileField; 4] =
        [ProfileField::Name, ProfileField::Role, ProfileField::Region, ProfileField::Statement];

    fn key(self) -> &'static str {
        match self {
            ProfileField::Name => "name",
            ProfileField::Role => "role",
            ProfileField::Region => "region",
            ProfileField::Statement => "statement",
        }
    }
}

/// Where a participant is in the programme, as their own card in the cohort says: the cohort
/// document is the programme team's to write, a card its person's, so the person says it here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Their home group: its space id (hex) and its name.
    pub group: Option<(String, String)>,
    /// Their coach's person id (hex).
    pub coach: Option<String>,
}

/// One person's profile. Every field is automerge text, so edits from two devices merge.
#[derive(Debug)]
pub struct Profile {
    doc: Doc,
}

crate::doc::model!(Profile, DocKind::Profile, [("fields", ObjType::Map)]);

impl Profile {
    pub fn fields(&self) -> ProfileFields {
        let obj = self.doc.root_obj("fields");
        let get = |f: ProfileField| self.doc.get_text(&obj, f.key());
        ProfileFields {
            name: get(ProfileField::Name),
            role: get(ProfileField::Role),
            region: get(ProfileField::Region),
            statement: get(ProfileField::Statement),
        }
    }

    pub fn get(&self, field: ProfileField) -> String {
        self.doc.get_text(&self.doc.root_obj("fields"), field.key())
    }

    pub fn set(&mut self, field: ProfileField, value: &str) {
        let obj = self.doc.root_obj("fields");
        if self.doc.get_text(&obj, field.key()) != value {
            self.doc.set_text(&obj, field.key(), value);
        }
    }

    /// A small photo, as a `data:image/jpeg;base64,…` URL (the app keeps it under 64 KB).
    pub fn photo(&self) -> Option<String> {
        self.doc.get_str(&self.doc.root_obj("fields"), "photo").filter(|p| p.starts_with("data:image/"))
    }

    pub fn set_photo(&mut self, data_url: Option<&str>) {
        let obj = self.doc.root_obj("fields");
        match data_url {
            Some(url) => self.doc.put(&obj, "photo", url),
            None if self.photo().is_some() => self.doc.delete(&obj, "photo"),
            None => {}
        }
    }

    /// Where this person is in the programme (on a cohort card; empty on one's own profile).
    pub fn placement(&self) -> Placement {
        let obj = self.doc.root_obj("fields");
        let get = |key| self.doc.get_str(&obj, key).filter(|v| !v.is_empty());
        Placement {
            group: get("group").map(|space| (space, get("group_name").unwrap_or_default())),
            coach: get("coach"),
        }
    }

    /// Says where this person is; writes only what changed.
    pub fn set_placement(&mut self, placement: &Placement) {
        if self.placement() == *placement {
            return;
        }
        let obj = self.doc.root_obj("fields");
        let (group, group_name) = placement.group.clone().unzip();
        for (key, value) in [("group", group), ("group_name", group_name), ("coach", placement.coach.clone())]
        {
            match value {
                Some(value) if self.doc.get_str(&obj, key).as_ref() != Some(&value) => {
                    self.doc.put(&obj, key, value);
                }
                None if self.doc.get_str(&obj, key).is_some() => self.doc.delete(&obj, key),
                _ => {}
            }
        }
    }

    /// Whether the person chose to be in the Little Black Book (nobody is, until they say so).
    pub fn in_book(&self) -> bool {
        self.doc.get_str(&self.doc.root_obj("fields"), "book").as_deref() == Some("yes")
    }

    pub fn set_in_book(&mut self, yes: bool) {
        if self.in_book() == yes {
            return;
        }
        let obj = self.doc.root_obj("fields");
        if yes {
            self.doc.put(&obj, "book", "yes");
        } else {
            self.doc.delete(&obj, "book");
        }
    }

    /// Makes this profile say what `other` says (a cohort card mirrors a person's own profile).
    pub fn copy_from(&mut self, other: &Profile) {
        for field in ProfileField::ALL {
            self.set(field, &other.get(field));
        }
        if self.photo() != other.photo() {
            self.set_photo(other.photo().as_deref());
        }
        self.set_in_book(other.in_book());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;

    #[test]
    fn fields_round_trip_through_a_save() {
        let mut profile = Profile::new();
        profile.set(ProfileField::Name, "Maya Lindqvist");
        profile.set(ProfileField::Region, "Nordics");
        let loaded = Profile::load(&profile.doc_mut().save()).unwrap();
        assert_eq!(loaded.fields().name, "Maya Lindqvist");
        assert_eq!(loaded.get(ProfileField::Region), "Nordics");
        assert_eq!(loaded.fields().statement, "");
    }

    #[test]
    fn a_placement_round_trips_and_clears() {
        let mut card = Profile::new();
        assert_eq!(card.placement(), Placement::default());
        let placed = Placement {
            group: Some(("ab12".to_owned(), "Forest".to_owned())),
            coach: Some("cd34".to_owned()),
        };
        card.set_placement(&placed);
        let mut loaded = Profile::load(&card.doc_mut().save()).unwrap();
        assert_eq!(loaded.placement(), placed);
        // Mirroring the person's own profile leaves the placement alone, and carries the choice
        // to be in the book.
        let mut mine = Profile::new();
        assert!(!mine.in_book(), "nobody is in the book until they choose");
        mine.set_in_book(true);
        loaded.copy_from(&mine);
        assert!(loaded.in_book());
        mine.set_in_book(false);
        loaded.copy_from(&mine);
        assert!(!loaded.in_book());
        assert_eq!(loaded.placement(), placed);
        loaded.set_placement(&Placement { coach: None, ..placed.clone() });
        assert_eq!(loaded.placement(), Placement { coach: None, ..placed });
    }

    #[test]
    fn a_journal_is_not_a_profile() {
        let mut journal = <crate::Journal as crate::Model>::new();
        let err = Profile::load(&journal.doc_mut().save()).unwrap_err();
        assert!(matches!(err, crate::DocError::WrongKind { .. }), "{err}");
    }
}
