//! How a device names each of its documents: [`DocId`], written `kind/space/…` on the device
//! and never sent in clear (the relay sees only an opaque reference derived from it).

use std::{fmt, str::FromStr};

use crate::{crypto::SpaceId, doc::DocKind, journal::EntryId, time::Month};

/// A person: the id of their own space, the same on all their devices.
pub type PersonId = SpaceId;

/// Every document a device can hold, with what identifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocId {
    /// One month of the person's journal: `journal/2026-11`.
    Journal(Month),
    /// The person's profile: `profile`.
    Profile,
    /// The spaces the person joined, for their other devices: `keyring`.
    Keyring,
    /// A coach's private notes on one coaching pair, kept in the coach's own space:
    /// `coachnotes/<coaching space>`.
    CoachNotes(SpaceId),
    /// A home group's shared document: `group/<group space>`.
    Group(SpaceId),
    /// A member's experiment canvas, in their home group: `canvas/<group space>/<person>`.
    Canvas(SpaceId, PersonId),
    /// A programme run: `cohort/<cohort space>`.
    Cohort(SpaceId),
    /// A person's card in a cohort: `person/<cohort space>/<person>`.
    PersonCard(SpaceId, PersonId),
    /// A published experiment story: `story/<cohort space>/<person>`.
    Story(SpaceId, PersonId),
    /// A coaching pair's shared notes: `coaching/<coaching space>`.
    Coaching(SpaceId),
    /// A journal entry shared with a coach: `shared/<coaching space>/<entry>`.
    Shared(SpaceId, EntryId),
}

impl DocId {
    /// What the document holds.
    pub fn kind(&self) -> DocKind {
        match self {
            DocId::Journal(_) => DocKind::Journal,
            DocId::Profile | DocId::PersonCard(..) => DocKind::Profile,
            DocId::Keyring => DocKind::Keyring,
            DocId::CoachNotes(_) => DocKind::Notes,
            DocId::Group(_) => DocKind::Group,
            DocId::Canvas(..) => DocKind::Canvas,
            DocId::Cohort(_) => DocKind::Cohort,
            DocId::Story(..) => DocKind::Showcase,
            DocId::Coaching(_) => DocKind::Coaching,
            DocId::Shared(..) => DocKind::SharedEntry,
        }
    }

    /// The shared space the document belongs to; `None` for the person's own space.
    pub fn space(&self) -> Option<SpaceId> {
        match *self {
            DocId::Journal(_) | DocId::Profile | DocId::Keyring | DocId::CoachNotes(_) => None,
            DocId::Group(s)
            | DocId::Canvas(s, _)
            | DocId::Cohort(s)
            | DocId::PersonCard(s, _)
            | DocId::Story(s, _)
            | DocId::Coaching(s)
            | DocId::Shared(s, _) => Some(s),
        }
    }

    /// The id of every document of `kind` in `space` starts with this (`canvas/<space>/`).
    pub fn prefix(kind: DocKind, space: SpaceId) -> String {
        let word = match kind {
            DocKind::Canvas => "canvas",
            DocKind::Profile => "person",
            DocKind::Showcase => "story",
            DocKind::SharedEntry => "shared",
            DocKind::Group => "group",
            DocKind::Cohort => "cohort",
            DocKind::Coaching => "coaching",
            DocKind::Notes => "coachnotes",
            DocKind::Journal => "journal",
            DocKind::Keyring => "keyring",
        };
        format!("{word}/{space}/")
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocId::Journal(month) => write!(f, "journal/{month}"),
            DocId::Profile => f.write_str("profile"),
            DocId::Keyring => f.write_str("keyring"),
            DocId::CoachNotes(s) => write!(f, "coachnotes/{s}"),
            DocId::Group(s) => write!(f, "group/{s}"),
            DocId::Canvas(s, p) => write!(f, "canvas/{s}/{p}"),
            DocId::Cohort(s) => write!(f, "cohort/{s}"),
            DocId::PersonCard(s, p) => write!(f, "person/{s}/{p}"),
            DocId::Story(s, p) => write!(f, "story/{s}/{p}"),
            DocId::Coaching(s) => write!(f, "coaching/{s}"),
            DocId::Shared(s, e) => write!(f, "shared/{s}/{e}"),
        }
    }
}

/// A string that is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a document id")]
pub struct NotADocId(pub String);

impl FromStr for DocId {
    type Err = NotADocId;

    fn from_str(s: &str) -> Result<DocId, NotADocId> {
        let parts: Vec<&str> = s.split('/').collect();
        let space = |i: usize| parts.get(i).and_then(|p| SpaceId::parse(p));
        let id = match parts[..] {
            ["profile"] => Some(DocId::Profile),
            ["keyring"] => Some(DocId::Keyring),
            ["journal", month] => Month::parse(month).map(DocId::Journal),
            ["coachnotes", _] => space(1).map(DocId::CoachNotes),
            ["group", _] => space(1).map(DocId::Group),
            ["cohort", _] => space(1).map(DocId::Cohort),
            ["coaching", _] => space(1).map(DocId::Coaching),
            ["canvas", _, _] => space(1).zip(space(2)).map(|(s, p)| DocId::Canvas(s, p)),
            ["person", _, _] => space(1).zip(space(2)).map(|(s, p)| DocId::PersonCard(s, p)),
            ["story", _, _] => space(1).zip(space(2)).map(|(s, p)| DocId::Story(s, p)),
            ["shared", _, entry] => space(1).zip(EntryId::parse(entry)).map(|(s, e)| DocId::Shared(s, e)),
            _ => None,
        };
        id.ok_or_else(|| NotADocId(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn space(n: u8) -> SpaceId {
        SpaceId([n; 32])
    }

    #[test]
    fn every_kind_of_id_reads_back_as_written() {
        let entry = EntryId::parse(&"ab".repeat(16)).unwrap();
        let ids = [
            DocId::Journal(Month::parse("2026-11").unwrap()),
            DocId::Profile,
            DocId::Keyring,
            DocId::CoachNotes(space(1)),
            DocId::Group(space(2)),
            DocId::Canvas(space(2), space(3)),
            DocId::Cohort(space(4)),
            DocId::PersonCard(space(4), space(3)),
            DocId::Story(space(4), space(3)),
            DocId::Coaching(space(5)),
            DocId::Shared(space(5), entry),
        ];
        for id in ids {
            assert_eq!(id.to_string().parse::<DocId>(), Ok(id), "{id}");
        }
        assert_eq!(DocId::Canvas(space(2), space(3)).space(), Some(space(2)));
        assert_eq!(
            DocId::CoachNotes(space(1)).space(),
            None,
            "a coach's private notes stay in their own space"
        );
        assert!(
            DocId::Canvas(space(2), space(3))
                .to_string()
                .starts_with(&DocId::prefix(DocKind::Canvas, space(2)))
        );
    }

    proptest! {
        #[test]
        fn anything_else_is_refused_without_panicking(s in "[a-z0-9/-]{0,80}") {
            if let Ok(id) = s.parse::<DocId>() {
                prop_assert_eq!(id.to_string(), s);
            }
        }
    }
}
