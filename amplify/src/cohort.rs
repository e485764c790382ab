//! A cohort: one run of the programme. Its members and their roles, its home groups and coach
//! pairings (names and ids only: never a group's key), and the calendar of its seven months.

use automerge::ObjType;
use serde::{Deserialize, Serialize};

use crate::doc::{Doc, DocKind};

/// What someone does in the programme, and so what the app shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CohortRole {
    Participant,
    Coach,
    ProgrammeTeam,
    Executive,
}

impl CohortRole {
    pub const ALL: [CohortRole; 4] =
        [CohortRole::Participant, CohortRole::Coach, CohortRole::ProgrammeTeam, CohortRole::Executive];

    pub fn key(self) -> &'static str {
        match self {
            CohortRole::Participant => "participant",
            CohortRole::Coach => "coach",
            CohortRole::ProgrammeTeam => "programme",
            CohortRole::Executive => "executive",
        }
    }

    pub fn from_key(key: &str) -> Option<CohortRole> {
        CohortRole::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            CohortRole::Participant => "Participant",
            CohortRole::Coach => "Coach",
            CohortRole::ProgrammeTeam => "Programme team",
            CohortRole::Executive => "Executive viewer",
        }
    }
}

/// The kinds of moment in the programme's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Milestone {
    CoachingKickoff,
    RegionalWork,
    Experiment,
    ImmersionWeek,
    Showcase,
}

impl Milestone {
    pub const ALL: [Milestone; 5] = [
        Milestone::CoachingKickoff,
        Milestone::RegionalWork,
        Milestone::Experiment,
        Milestone::ImmersionWeek,
        Milestone::Showcase,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Milestone::CoachingKickoff => "coaching_kickoff",
            Milestone::RegionalWork => "regional_work",
            Milestone::Experiment => "experiment",
            Milestone::ImmersionWeek => "immersion_week",
            Milestone::Showcase => "showcase",
        }
    }

    pub fn from_key(key: &str) -> Option<Milestone> {
        Milestone::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Milestone::CoachingKickoff => "Coaching kickoff",
            Milestone::RegionalWork => "Regional work",
            Milestone::Experiment => "Experiment",
            Milestone::ImmersionWeek => "Immersion week",
            Milestone::Showcase => "Global showcase",
        }
    }
}

/// One item of the calendar. Dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub kind: Milestone,
    pub title: String,
    pub starts: String,
    pub ends: String,
}

/// Someone in the cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortMember {
    pub person: String,
    pub name: String,
    pub role: CohortRole,
    pub region: String,
    /// The home group's space id (hex), for participants in one.
    pub group: Option<String>,
    /// The home group's name, when the person's own card gives it (see [`crate::Placement`]).
    pub group_name: Option<String>,
    /// The coach's person id, for participants paired with one.
    pub coach: Option<String>,
}

/// A home group, as the cohort knows it: its name, never its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub space: String,
    pub name: String,
}

/// One run of the programme.
#[derive(Debug)]
pub struct Cohort {
    doc: Doc,
}

crate::doc::model!(
    Cohort,
    DocKind::Cohort,
    [
        ("fields", ObjType::Map),
        ("calendar", ObjType::Map),
        ("members", ObjType::Map),
        ("groups", ObjType::Map)
    ]
);

impl Cohort {
    pub fn name(&self) -> String {
        self.doc.get_text(&self.doc.root_obj("fields"), "name")
    }

    pub fn set_name(&mut self, name: &str) {
        let fields = self.doc.root_obj("fields");
        if self.doc.get_text(&fields, "name") != name {
            self.doc.set_text(&fields, "name", name);
        }
    }

    /// The programme's first and last days.
    pub fn dates(&self) -> (String, String) {
        let fields = self.doc.root_obj("fields");
        (
            self.doc.get_str(&fields, "starts").unwrap_or_default(),
            self.doc.get_str(&fields, "ends").unwrap_or_default(),
        )
    }

    pub fn set_dates(&mut self, starts: &str, ends: &str) {
        let fields = self.doc.root_obj("fields");
        self.doc.put(&fields, "starts", starts);
        self.doc.put(&fields, "ends", ends);
    }

    /// The calendar, in date order.
    pub fn calendar(&self) -> Vec<Event> {
        let obj = self.doc.root_obj("calendar");
        let mut events: Vec<Event> = self
            .doc
            .keys(&obj)
            .filter_map(|id| {
                let e = self.doc.get_obj(&obj, &id)?;
                Some(Event {
                    kind: self.doc.get_str(&e, "kind").and_then(|k| Milestone::from_key(&k))?,
                    title: self.doc.get_str(&e, "title").unwrap_or_default(),
                    starts: self.doc.get_str(&e, "starts").unwrap_or_default(),
                    ends: self.doc.get_str(&e, "ends").unwrap_or_default(),
                    id,
                })
            })
            .collect();
        crate::sort::by(&mut events, |a, b| a.starts.cmp(&b.starts).then_with(|| a.id.cmp(&b.id)));
        events
    }

    pub fn add_event(&mut self, kind: Milestone, title: &str, starts: &str, ends: &str) -> String {
        let id = crate::hex(&crate::random_bytes::<8>());
        let obj = self.doc.root_obj("calendar");
        let e = self.doc.put_object(&obj, &id, ObjType::Map);
        for (k, v) in [("kind", kind.key()), ("title", title), ("starts", starts), ("ends", ends)] {
            self.doc.put(&e, k, v);
        }
        id
    }

    pub fn remove_event(&mut self, id: &str) {
        let obj = self.doc.root_obj("calendar");
        if self.doc.get_obj(&obj, id).is_some() {
            self.doc.delete(&obj, id);
        }
    }

    /// Everyone in the cohort, by name.
    pub fn members(&self) -> Vec<CohortMember> {
        let obj = self.doc.root_obj("members");
        let mut members: Vec<CohortMember> = self
            .doc
            .keys(&obj)
            .filter_map(|person| {
                let m = self.doc.get_obj(&obj, &person)?;
                Some(CohortMember {
                    name: self.doc.get_str(&m, "name").unwrap_or_default(),
                    role: self.doc.get_str(&m, "role").and_then(|r| CohortRole::from_key(&r))?,
                    region: self.doc.get_str(&m, "region").unwrap_or_default(),
                    group: self.doc.get_str(&m, "group"),
                    group_name: None,
                    coach: self.doc.get_str(&m, "coach"),
                    person,
                })
            })
            .collect();
        crate::sort::by(&mut members, |a, b| {
            a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.person.cmp(&b.person))
        });
        members
    }

    pub fn member(&self, person: &str) -> Option<CohortMember> {
        self.members().into_iter().find(|m| m.person == person)
    }

    /// Adds someone, or updates their name, role and region.
    pub fn upsert_member(&mut self, person: &str, name: &str, role: CohortRole, region: &str) {
        let m = self.member_obj(person);
        for (k, v) in [("name", name), ("role", role.key()), ("region", region)] {
            if self.doc.get_str(&m, k).as_deref() != Some(v) {
                self.doc.put(&m, k, v);
            }
        }
    }

    fn member_obj(&mut self, person: &str) -> automerge::ObjId {
        let obj = self.doc.root_obj("members");
        match self.doc.get_obj(&obj, person) {
            Some(m) => m,
            None => self.doc.put_object(&obj, person, ObjType::Map),
        }
    }

    /// Records a home group and who is in it (the group's name and id; its key stays with it).
    pub fn register_group(&mut self, space: &str, name: &str, person: &str) {
        let groups = self.doc.root_obj("groups");
        let g = match self.doc.get_obj(&groups, space) {
            Some(g) => g,
            None => self.doc.put_object(&groups, space, ObjType::Map),
        };
        if self.doc.get_str(&g, "name").as_deref() != Some(name) {
            self.doc.put(&g, "name", name);
        }
        let m = self.member_obj(person);
        if self.doc.get_str(&m, "group").as_deref() != Some(space) {
            self.doc.put(&m, "group", space);
        }
    }

    pub fn groups(&self) -> Vec<GroupInfo> {
        let obj = self.doc.root_obj("groups");
        let mut groups: Vec<GroupInfo> = self
            .doc
            .keys(&obj)
            .filter_map(|space| {
                let g = self.doc.get_obj(&obj, &space)?;
                Some(GroupInfo { name: self.doc.get_str(&g, "name").unwrap_or_default(), space })
            })
            .collect();
        crate::sort::by(&mut groups, |a, b| a.name.cmp(&b.name));
        groups
    }

    /// Pairs a participant with their coach.
    pub fn pair(&mut self, participant: &str, coach: &str) {
        let m = self.member_obj(participant);
        if self.doc.get_str(&m, "coach").as_deref() != Some(coach) {
            self.doc.put(&m, "coach", coach);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;

    #[test]
    fn a_cohort_keeps_its_people_groups_pairings_and_calendar() {
        let mut cohort = Cohort::new();
        cohort.set_name("Amplify 2026");
        cohort.set_dates("2026-03-01", "2026-09-30");
        cohort.add_event(Milestone::Showcase, "Global showcase, London", "2026-09-20", "2026-09-21");
        cohort.add_event(Milestone::ImmersionWeek, "Forest week", "2026-06-01", "2026-06-07");
        cohort.upsert_member("maya", "Maya", CohortRole::Participant, "Nordics");
        cohort.upsert_member("ines", "Inès", CohortRole::Coach, "Europe");
        cohort.upsert_member("maya", "Maya Lindqvist", CohortRole::Participant, "Nordics");
        cohort.register_group("g1", "Nordics Rising", "maya");
        cohort.pair("maya", "ines");

        let loaded = Cohort::load(&cohort.doc_mut().save()).unwrap();
        assert_eq!(loaded.name(), "Amplify 2026");
        assert_eq!(
            loaded.calendar().iter().map(|e| e.kind).collect::<Vec<_>>(),
            [Milestone::ImmersionWeek, Milestone::Showcase]
        );
        let maya = loaded.member("maya").unwrap();
        assert_eq!(
            (maya.name.as_str(), maya.group.as_deref(), maya.coach.as_deref()),
            ("Maya Lindqvist", Some("g1"), Some("ines"))
        );
        assert_eq!(loaded.members().len(), 2);
        assert_eq!(loaded.groups(), [GroupInfo { space: "g1".into(), name: "Nordics Rising".into() }]);
    }
}
