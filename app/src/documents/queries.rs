//! Questions the pages ask across documents: the cohort this person is in, its published
//! stories, the people of its Little Black Book, the entries shared in a coaching pair.

use super::{handle::DocHandle, repo::Repo};
use amplify::{Cohort, CohortRole, DocId, Profile, ProfileFields, Published, SharedEntry, Showcase, SpaceId};

/// One person's page in the Little Black Book.
#[derive(Debug, Clone, PartialEq)]
pub struct BookPerson {
    pub profile: ProfileFields,
    pub photo: Option<String>,
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
        cards.sort_by_key(|c| std::cmp::Reverse(c.published_ms));
        cards
    }

    /// The participants of `cohort` as the Little Black Book shows them, by name (reactive).
    pub fn book(&self, cohort: SpaceId) -> Vec<BookPerson> {
        let stories = self.published(cohort);
        let members = self.cohort(cohort).map(|h| h.with(|c| c.members())).unwrap_or_default();
        let mut people: Vec<BookPerson> = self
            .handles_in::<Profile>(cohort)
            .into_iter()
            .filter_map(|(id, card)| {
                let DocId::PersonCard(_, person) = id else { return None };
                let person = person.to_string();
                let participant = members
                    .iter()
                    .find(|m| m.person == person)
                    .is_none_or(|m| m.role == CohortRole::Participant);
                participant.then(|| BookPerson {
                    profile: card.with(|p| p.fields()),
                    photo: card.with(|p| p.photo()),
                    story: stories.iter().find(|s| s.person == person).cloned(),
                })
            })
            .collect();
        people.sort_by_key(|p| p.profile.name.to_lowercase());
        people
    }

    /// Every shared-entry document in the coaching pair `coaching` (reactive).
    pub fn shared_entries(&self, coaching: SpaceId) -> Vec<(DocId, DocHandle<SharedEntry>)> {
        self.handles_in::<SharedEntry>(coaching)
    }
}
