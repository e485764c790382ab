//! The cohort: creating and joining it, the person's card in it, and publishing to its showcase.

use amplify::{
    Canvas, Cohort, CohortRole, DocId, Group, Invite, InviteKind, Owner, Placement, Profile, ProfileField,
    Published, Showcase, SpaceId, Stage,
};

use super::{ActionError, members::enter, my_name, person_id, remember_name};
use crate::{
    account::{SpaceKind, cohort_tag},
    documents::{DocHandle, Repo},
    platform,
    sync::SyncHandle,
};

/// Joins the cohort of an invite, in the invite's role. Members (not executive viewers) put
/// their profile card in it (and, in a cohort from before governed spaces, add themselves to
/// its member list; in a governed one the log says who is in it, in which role).
pub async fn join_cohort(
    repo: Repo,
    sync: SyncHandle,
    invite: &Invite,
    my_name: &str,
) -> Result<SpaceId, ActionError> {
    let InviteKind::Cohort(role) = invite.kind else {
        return Err(ActionError::NotACohortInvite);
    };
    remember_name(repo, my_name);
    let space = enter(repo, sync, invite, SpaceKind::Cohort).await?;
    repo.update_account(|a| a.set_roles(space, Some(role), None)).await?;
    settle_in(repo, space, role, &invite.name, my_name).await
}

/// This person's card in the cohort (and their line in a cohort document they may write).
async fn settle_in(
    repo: Repo,
    space: SpaceId,
    role: CohortRole,
    name: &str,
    my_name: &str,
) -> Result<SpaceId, ActionError> {
    if role != CohortRole::Executive {
        let writable = repo.with_account(|a| a.and_then(|a| a.space(space)).is_some_and(may_write_cohort));
        if let (Some(cohort), true) = (repo.handle::<Cohort>(DocId::Cohort(space)), writable) {
            let person = person_id(&repo).ok_or(ActionError::NotReady)?.to_string();
            let region = repo.profile.with(|p| p.get(ProfileField::Region));
            cohort.edit(|c| {
                if c.name().is_empty() {
                    c.set_name(name);
                }
                c.upsert_member(&person, my_name, role, &region);
            });
            cohort.flush().await;
        }
        mirror_profile(repo);
    } else if repo.with_account(|a| a.and_then(|a| a.space(space)).is_some_and(|s| s.governed().is_some())) {
        // An executive viewer's card carries their name, so the programme team knows whom to
        // remove; it is the only thing they may write.
        mirror_profile(repo);
    }
    repo.flush_all().await;
    Ok(space)
}

/// Starts a cohort, with this person in the programme team (its admins).
pub async fn create_cohort(
    repo: Repo,
    sync: SyncHandle,
    name: &str,
    my_name: &str,
) -> Result<SpaceId, ActionError> {
    remember_name(repo, my_name);
    let role = CohortRole::ProgrammeTeam;
    let space = repo
        .update_account(|a| {
            let space = a.create_governed(SpaceKind::Cohort, name, cohort_tag(role));
            a.set_roles(space, Some(role), None);
            space
        })
        .await?;
    sync.joined(space);
    settle_in(repo, space, role, name, my_name).await
}

/// Whether this device may change the cohort document of `cohort`: in a governed cohort, only
/// the programme team (every peer checks); in one from before, every member.
pub fn may_write_cohort(cohort: &crate::account::Joined) -> bool {
    if cohort.governed().is_some() { cohort.can_manage() } else { cohort.can_write() }
}

/// The cohort document this device may change, if any.
pub(super) fn writable_cohort(repo: &Repo) -> Option<DocHandle<amplify::Cohort>> {
    let space =
        repo.with_account(|a| a.and_then(|a| a.cohort()).filter(|c| may_write_cohort(c)).map(|c| c.id()))?;
    repo.handle(DocId::Cohort(space))
}

/// This person's card in their cohort, if they may write it and it is on this device.
fn my_card(repo: &Repo) -> Option<DocHandle<Profile>> {
    let cohort =
        repo.with_account(|a| a.and_then(|a| a.cohort()).filter(|c| c.can_write()).map(|c| c.id()))?;
    repo.handle::<Profile>(DocId::PersonCard(cohort, person_id(repo)?))
}

/// Copies this person's profile into their card in the cohort, where the Little Black Book and
/// the cohort's members read it.
pub fn mirror_profile(repo: Repo) {
    let Some(card) = my_card(&repo) else { return };
    let differs = repo.profile.with_untracked(|mine| {
        card.with_untracked(|theirs| {
            mine.fields() != theirs.fields()
                || mine.photo() != theirs.photo()
                || mine.in_book() != theirs.in_book()
        })
    });
    if differs {
        repo.profile.with_untracked(|mine| card.edit(|theirs| theirs.copy_from(mine)));
    }
}

/// Says on this person's card in the cohort which home group they are in and who coaches them
/// (reactive: call it from an effect). The coach is known once the coaching document has
/// arrived, which may be long after joining; the card then follows, and every device of the
/// cohort reads it there.
pub fn place_me(repo: Repo) {
    let Some(card) = my_card(&repo) else { return };
    let (groups, pairs): (Vec<(SpaceId, String)>, Vec<SpaceId>) = repo.with_account(|a| {
        let Some(a) = a else { return Default::default() };
        let live = |kind| a.of_kind(kind).filter(|s| !s.removed);
        (
            live(SpaceKind::HomeGroup).map(|s| (s.id(), s.name.clone())).collect(),
            live(SpaceKind::Coaching)
                .filter(|s| s.side == Some(Owner::Participant))
                .map(|s| s.id())
                .collect(),
        )
    });
    let group = groups.into_iter().next().map(|(space, joined_as)| {
        let named =
            repo.handle::<Group>(DocId::Group(space)).map(|g| g.with(|g| g.name())).unwrap_or_default();
        (space.to_string(), if named.is_empty() { joined_as } else { named })
    });
    let coach = pairs.into_iter().find_map(|space| {
        let coaching = repo.handle::<amplify::Coaching>(DocId::Coaching(space))?;
        Some(coaching.with(|c| c.pair().coach)).filter(|coach| !coach.is_empty())
    });
    let placement = Placement { group, coach };
    if card.with(Profile::placement) != placement {
        card.edit(|c| c.set_placement(&placement));
    }
}

/// Publishes this person's experiment story to the cohort's showcase.
pub fn publish(repo: &Repo, canvas: DocHandle<Canvas>) -> Result<(), ActionError> {
    let cohort = repo
        .with_account(|a| a.and_then(|a| a.cohort()).filter(|c| c.can_write()).map(|c| c.id()))
        .ok_or(ActionError::NoCohort)?;
    let person = person_id(repo).ok_or(ActionError::NotReady)?;
    let card = repo.handle::<Showcase>(DocId::Story(cohort, person)).ok_or(ActionError::NotReady)?;
    let (story, stage) = canvas.with_untracked(|c| (c.story(), c.stage()));
    let published = Published {
        person: person.to_string(),
        name: my_name(repo),
        region: repo.profile.with_untracked(|p| p.get(ProfileField::Region)),
        stage,
        story,
        published_ms: platform::now().utc_ms,
    };
    card.edit(|c| c.publish(&published));
    wasm_bindgen_futures::spawn_local(async move { card.flush().await });
    Ok(())
}

/// Moves an experiment to `stage`. Reaching "showcased" publishes it; a published story
/// follows its experiment's stage.
pub fn set_stage(repo: &Repo, canvas: DocHandle<Canvas>, stage: Stage) -> Result<(), ActionError> {
    canvas.edit(|c| c.set_stage(stage));
    if stage == Stage::Showcased || is_published(repo) { publish(repo, canvas) } else { Ok(()) }
}

/// Whether this person has published their experiment.
pub fn is_published(repo: &Repo) -> bool {
    let Some(cohort) = repo.with_account(|a| a.and_then(|a| a.cohort()).map(|c| c.id())) else {
        return false;
    };
    let Some(person) = person_id(repo) else { return false };
    let id = DocId::Story(cohort, person);
    repo.handles_in::<Showcase>(cohort)
        .into_iter()
        .any(|(doc, h)| doc == id && h.with_untracked(|s| s.card().is_some()))
}
