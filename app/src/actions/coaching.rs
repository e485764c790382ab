//! Coaching pairs: starting and joining one, and sharing journal entries with the coach.

use amplify::{Coaching, DocId, Entry, EntryId, Invite, InviteKind, Journal, Owner, SharedEntry, SpaceId};

use super::{
    ActionError,
    cohort::writable_cohort,
    members::{DEFAULT_INVITE_DAYS, enter, make_invite},
    my_name, person_id, remember_name,
};
use crate::{
    account::{SpaceKind, side_tag},
    documents::{DocHandle, Repo},
    platform,
    sync::SyncHandle,
};

/// Starts a coaching pair, as the coach: the space, and the invite link for the coachee.
pub async fn create_coaching(
    repo: Repo,
    sync: SyncHandle,
    coachee_hint: &str,
) -> Result<Invite, ActionError> {
    let space = repo
        .update_account(|a| {
            let space = a.create_governed(SpaceKind::Coaching, coachee_hint, side_tag(Owner::Coach));
            a.set_roles(space, None, Some(Owner::Coach));
            space
        })
        .await?;
    sync.joined(space);
    if let Some(coaching) = repo.handle::<Coaching>(DocId::Coaching(space)) {
        let (person, name) = (person_id(&repo).ok_or(ActionError::NotReady)?.to_string(), my_name(&repo));
        coaching.edit(|c| c.set_person(Owner::Coach, &person, &name));
        coaching.flush().await;
    }
    let mut invite =
        make_invite(repo, sync, space, InviteKind::Coaching, DEFAULT_INVITE_DAYS, 1, &my_name(&repo)).await?;
    invite.name = format!("Coaching with {}", my_name(&repo));
    Ok(invite)
}

/// Joins the coaching pair of an invite, as the participant.
pub async fn join_coaching(
    repo: Repo,
    sync: SyncHandle,
    invite: &Invite,
    my_name: &str,
) -> Result<SpaceId, ActionError> {
    remember_name(repo, my_name);
    let mut named = invite.clone();
    named.name = invite.from.clone();
    let space = enter(repo, sync, &named, SpaceKind::Coaching).await?;
    repo.update_account(|a| a.set_roles(space, None, Some(Owner::Participant))).await?;
    let person = person_id(&repo).ok_or(ActionError::NotReady)?.to_string();
    if let Some(coaching) = repo.handle::<Coaching>(DocId::Coaching(space)) {
        coaching.edit(|c| c.set_person(Owner::Participant, &person, my_name));
        coaching.flush().await;
        let coach = coaching.with(|c| c.pair().coach);
        if let (Some(cohort), false) = (writable_cohort(&repo), coach.is_empty()) {
            cohort.edit(|c| c.pair(&person, &coach));
            cohort.flush().await;
        }
    }
    Ok(space)
}

/// The coaching pairs this person is the participant of, with a coach in them (to share with).
pub fn my_coaches(repo: &Repo) -> Vec<SpaceId> {
    repo.with_account(|a| {
        a.map(|a| {
            a.of_kind(SpaceKind::Coaching)
                .filter(|s| s.side == Some(Owner::Participant) && !s.removed && has_coach(s))
                .map(|s| s.id())
                .collect()
        })
        .unwrap_or_default()
    })
}

/// Every coaching pair this person was the participant of, ended ones too: the history stays
/// theirs.
pub fn my_coaching_pairs(repo: &Repo) -> Vec<SpaceId> {
    repo.with_account(|a| {
        a.map(|a| {
            a.of_kind(SpaceKind::Coaching)
                .filter(|s| s.side == Some(Owner::Participant) && !s.removed)
                .map(|s| s.id())
                .collect()
        })
        .unwrap_or_default()
    })
}

/// Whether a coach is (still) in the pair.
pub fn has_coach(pair: &crate::account::Joined) -> bool {
    pair.governed().is_none_or(|g| g.state().members().any(|m| m.tag == side_tag(Owner::Coach)))
}

/// The coaching pairs this person coaches.
pub fn my_coachees(repo: &Repo) -> Vec<SpaceId> {
    repo.with_account(|a| {
        a.map(|a| {
            a.of_kind(SpaceKind::Coaching)
                .filter(|s| s.side == Some(Owner::Coach) && !s.removed)
                .map(|s| s.id())
                .collect()
        })
        .unwrap_or_default()
    })
}

/// Shares a journal entry with the coach of `coaching`: a copy, in the pair's space, saved at
/// once (sharing is a decision, not a keystroke).
pub async fn share_entry(repo: &Repo, coaching: SpaceId, entry: &Entry) {
    if let Some(shared) = repo.handle::<SharedEntry>(DocId::Shared(coaching, entry.id)) {
        let at = platform::now().utc_ms;
        shared.edit(|s| s.share(entry, at));
        shared.flush().await;
    }
}

/// Keeps the shared copies of entry `id` in step with it (the participant edited it after
/// sharing). Called on every keystroke: the entry is read only if it has a shared copy.
pub fn refresh_shared(repo: &Repo, journal: DocHandle<Journal>, id: &EntryId) {
    let copies: Vec<_> = my_coaches(repo).into_iter().filter_map(|c| shared_copy(repo, c, id)).collect();
    if copies.is_empty() {
        return;
    }
    let Some(entry) = journal.with_untracked(|j| j.entry(id)) else { return };
    for shared in copies {
        if shared.with_untracked(|s| s.view().body != entry.body) {
            let at = shared.with_untracked(|s| s.view().shared_ms);
            shared.edit(|s| s.share(&entry, at));
        }
    }
}

/// Brings every shared copy in step with its entry: an entry edited while the shared copies were
/// still loading (opened right after the app started) reaches the coach too. Run once everything
/// has loaded.
pub fn refresh_all_shared(repo: &Repo) {
    for coaching in my_coaches(repo) {
        for (id, _) in repo.handles_in::<SharedEntry>(coaching) {
            if let DocId::Shared(_, entry) = id
                && let Some(journal) = repo.journal.find(&entry)
            {
                refresh_shared(repo, journal, &entry);
            }
        }
    }
}

/// The live shared copy of an entry in `coaching`, if it is shared there.
pub fn shared_copy(repo: &Repo, coaching: SpaceId, entry: &EntryId) -> Option<DocHandle<SharedEntry>> {
    let id = DocId::Shared(coaching, *entry);
    repo.handles_in::<SharedEntry>(coaching)
        .into_iter()
        .find_map(|(doc, h)| (doc == id && !h.with(|s| s.view().withdrawn)).then_some(h))
}

/// Stops sharing: the copy is emptied and marked withdrawn, an ordinary change that reaches the
/// coach's devices (which then drop it); sync later replaces it on the relay by a document with
/// no history at all.
pub async fn unshare_entry(repo: &Repo, coaching: SpaceId, entry: &EntryId) {
    if let Some(shared) = shared_copy(repo, coaching, entry) {
        shared.edit(SharedEntry::withdraw);
        shared.flush().await;
    }
}
