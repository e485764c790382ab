//! Questions the pages ask across documents: the cohort this person is in, its published
//! stories, the people of its Little Black Book, the entries shared in a coaching pair.

use super::{handle::DocHandle, repo::Repo};
use amplify::{
    Coaching, Cohort, CohortMember, CohortRole, DocId, Group, PersonId, Profile, ProfileField, ProfileFields,
    Published, SharedEntry, Showcase, SpaceId,
};

use crate::account::{SpaceKind, cohort_role};

/// One person's page in the Little Black Book.
#[derive(Debug, Clone, PartialEq)]
pub struct BookPerson {
    pub profile: ProfileFields,
    pub photo: Option<String>,
    /// Their home group's name, when their card says it.
    pub group: Option<String>,
    pub story: Option<Published>,
}

impl Repo {
    /// This person's cohort, if they are in one (reactive).
    pub fn cohort_space(&self) -> Option<SpaceId> {
        self.with_account(|a| a.and_then(|a| a.cohort()).map(|c| c.id()))
    }

    /// The cohort document of `cohort`, if this device holds it.
    pub fn cohort(&self, cohort: SpaceId) -> Option<DocHandle<Cohort>> {
        self.handle(DocId::Cohort(cohort))
    }

    /// Every story published in `cohort`, newest first (reactive).
    pub fn published(&self, cohort: SpaceId) -> Vec<Published> {
        let mut cards: Vec<Published> = self
            .handles_in::<Showcase>(cohort)
            .into_iter()
            .filter_map(|(_, h)| h.with(|s| s.card()))
            .collect();
        amplify::sort::by_key(&mut cards, |c| std::cmp::Reverse(c.published_ms));
        cards
    }

    /// The participants of `cohort` who chose to be in the Little Black Book, as it shows them:
    /// by region (those who gave none last), then by name (reactive).
    pub fn book(&self, cohort: SpaceId) -> Vec<BookPerson> {
        let stories = self.published(cohort);
        let members = self.cohort_members(cohort);
        let mut people: Vec<BookPerson> = self
            .handles_in::<Profile>(cohort)
            .into_iter()
            .filter_map(|(id, card)| {
                let DocId::PersonCard(_, person) = id else { return None };
                let person = person.to_string();
                let member = members.iter().find(|m| m.person == person);
                let participant = member.is_none_or(|m| m.role == CohortRole::Participant);
                (participant && card.with(Profile::in_book)).then(|| BookPerson {
                    profile: card.with(|p| p.fields()),
                    photo: card.with(|p| p.photo()),
                    group: member.and_then(|m| m.group_name.clone()),
                    story: stories.iter().find(|s| s.person == person).cloned(),
                })
            })
            .collect();
        amplify::sort::by_key(&mut people, |p| {
            let region = p.profile.region.trim().to_lowercase();
            (region.is_empty(), region, p.profile.name.to_lowercase())
        });
        people
    }

    /// Everyone in `cohort`, by name (reactive). In a governed cohort, who is in it and in which
    /// role is the log's to say (only the programme team changes it); names and regions come
    /// from each person's own card.
    pub fn cohort_members(&self, cohort: SpaceId) -> Vec<CohortMember> {
        let listed = self.cohort(cohort).map(|h| h.with(|c| c.members())).unwrap_or_default();
        let people = self.with_account(|a| {
            let g = a?.space(cohort)?.governed()?;
            Some(
                g.state()
                    .people()
                    .into_iter()
                    .map(|(person, devices)| (person, devices.first().map_or(0, |d| d.tag)))
                    .collect::<Vec<_>>(),
            )
        });
        let Some(people) = people else { return listed };
        let cards: Vec<(DocId, _)> = self.handles_in::<Profile>(cohort);
        let mut members: Vec<CohortMember> = people
            .into_iter()
            .map(|(person, tag)| {
                let card =
                    cards.iter().find(|(id, _)| *id == DocId::PersonCard(cohort, person)).map(|(_, c)| *c);
                let field = |f: ProfileField| card.map(|c| c.with(|c| c.get(f))).unwrap_or_default();
                let person = person.to_string();
                let listed = listed.iter().find(|m| m.person == person);
                // The person's own card says where they are; the cohort document only for
                // cohorts from before (a participant cannot write a governed cohort's).
                let placed = card.map(|c| c.with(Profile::placement)).unwrap_or_default();
                let (group, group_name) = match placed.group {
                    Some((space, name)) => (Some(space), Some(name)),
                    None => (listed.and_then(|m| m.group.clone()), None),
                };
                CohortMember {
                    name: field(ProfileField::Name),
                    role: cohort_role(tag).unwrap_or(CohortRole::Participant),
                    region: field(ProfileField::Region),
                    group,
                    group_name,
                    coach: placed.coach.or_else(|| listed.and_then(|m| m.coach.clone())),
                    person,
                }
            })
            .collect();
        amplify::sort::by(&mut members, |a, b| {
            a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.person.cmp(&b.person))
        });
        members
    }

    /// The people of `space` by name, as its documents give them: a group's member list, a
    /// cohort's cards, a coaching pair's two sides (reactive). Person ids in hex.
    pub fn names_in(&self, space: SpaceId) -> Vec<(String, String)> {
        let kind = self.with_account(|a| a.and_then(|a| a.space(space)).map(|s| s.kind));
        match kind {
            Some(SpaceKind::HomeGroup) => self
                .handle::<Group>(DocId::Group(space))
                .map(|g| g.with(|g| g.members().into_iter().map(|m| (m.person, m.name)).collect()))
                .unwrap_or_default(),
            Some(SpaceKind::Cohort) => {
                let mut names: Vec<(String, String)> = self
                    .handles_in::<Profile>(space)
                    .into_iter()
                    .filter_map(|(id, card)| match id {
                        DocId::PersonCard(_, person) => {
                            Some((person.to_string(), card.with(|c| c.get(ProfileField::Name))))
                        }
                        _ => None,
                    })
                    .collect();
                // A cohort from before governed spaces lists its members in its document.
                if let Some(cohort) = self.cohort(space) {
                    names.extend(cohort.with(|c| c.members()).into_iter().map(|m| (m.person, m.name)));
                }
                names
            }
            Some(SpaceKind::Coaching) => self
                .handle::<Coaching>(DocId::Coaching(space))
                .map(|c| {
                    let pair = c.with(|c| c.pair());
                    vec![(pair.coach, pair.coach_name), (pair.participant, pair.participant_name)]
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// One person's name in `space`, if known.
    pub fn name_in(&self, space: SpaceId, person: PersonId) -> Option<String> {
        let person = person.to_string();
        self.names_in(space).into_iter().find(|(p, n)| *p == person && !n.trim().is_empty()).map(|(_, n)| n)
    }

    /// The entries shared in the coaching pair `coaching` and not taken back, the most
    /// recently shared first (the same order on every device and every run) (reactive).
    pub fn shared_entries(&self, coaching: SpaceId) -> Vec<(DocId, DocHandle<SharedEntry>)> {
        let mut shared: Vec<(i64, DocId, DocHandle<SharedEntry>)> = self
            .handles_in::<SharedEntry>(coaching)
            .into_iter()
            .filter_map(|(id, h)| {
                let (withdrawn, at) = h.with(|s| {
                    let view = s.view();
                    (view.withdrawn, view.shared_ms)
                });
                (!withdrawn).then_some((at, id, h))
            })
            .collect();
        amplify::sort::by(&mut shared, |a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        shared.into_iter().map(|(_, id, h)| (id, h)).collect()
    }
}
