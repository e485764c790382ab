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

    /// Makes this profile say what `other` says (a cohort card mirrors a person's own profile).
    pub fn copy_from(&mut self, other: &Profile) {
        for field in ProfileField::ALL {
            self.set(field, &other.get(field));
        }
        if self.photo() != other.photo() {
            self.set_photo(other.photo().as_deref());
        }
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
    fn a_journal_is_not_a_profile() {
        let mut journal = <crate::Journal as crate::Model>::new();
        let err = Profile::load(&journal.doc_mut().save()).unwrap_err();
        assert!(matches!(err, crate::DocError::WrongKind { .. }), "{err}");
    }
}
