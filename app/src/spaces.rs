//! What people do with spaces: create and join home groups, cohorts and coaching pairs, link
//! their devices, share journal entries with their coach, publish an experiment. Pages call
//! these; they change the account, the documents and the outbox together.

use amplify::{
    Canvas, CohortRole, Entry, EntryId, Group, Invite, InviteKey, InviteKind, Model, Owner, PayloadKind,
    ProfileField, Published, RegistrationKey, SharedEntry, SpaceId, SpaceSecret, Stage,
};

use crate::{
    account::{Access, SpaceKind, group_doc_id},
    platform,
    repo::{DocHandle, Repo},
    storage::StorageError,
    sync::{Sync, peek},
};

/// Who is in a space, as the join page shows it before joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub name: String,
    pub members: Vec<String>,
}

/// The person's id: their own space's id, in hex. The same on all their devices.
pub fn person_id(repo: &Repo) -> Option<String> {
    repo.person()
}

/// The person's name, from their profile.
pub fn my_name(repo: &Repo) -> String {
    repo.profile.with(|p| p.get(ProfileField::Name))
}

/// The programme's registration on the relay, as this device knows it: invites carry it.
pub fn registration(repo: &Repo) -> Option<RegistrationKey> {
    repo.with_account(|a| a.and_then(|a| a.registration.clone()))
}

/// Starts using `key` to register this person's spaces on the relay (a code the programme
/// team entered, or one an invite carried). Every device of the person learns it through the
/// keyring. Reconnects, so the relay hears of it at once.
pub async fn use_registration(repo: Repo, sync: Sync, key: RegistrationKey) -> Result<(), StorageError> {
    let code = key.to_code();
    let changed = repo
        .update_account(|a| {
            let changed = a.registration.as_ref() != Some(&key);
            a.registration = Some(key);
            changed
        })
        .await?;
    if let Some(keyring) = repo.keyring() {
        keyring.edit(|k| k.set_registration(&code));
        keyring.flush().await;
    }
    if changed {
        sync.restart();
    }
    Ok(())
}

/// Takes the registration an invite carries, unless this device already has one.
pub async fn adopt_registration(repo: Repo, sync: Sync, invite: &Invite) {
    if let Some(key) = invite.registration.clone()
        && registration(&repo).is_none()
        && let Err(e) = use_registration(repo, sync, key).await
    {
        web_sys::console::warn_1(&format!("could not keep the invite's registration: {e}").into());
    }
}

/// An invite link to this app for `invite`.
pub fn invite_link(invite: &Invite) -> Option<String> {
    let origin = web_sys::window()?.location().origin().ok()?;
    Some(format!("{origin}/join#{}", invite.to_fragment()))
}

/// Reads a group's name and members from the relay, without joining.
pub async fn preview(repo: Repo, secret: &SpaceSecret) -> Result<Preview, String> {
    let account = repo.with_account(|a| a.cloned()).ok_or("this device is still starting")?;
    let space = secret.keys().id;
    let mut group = Group::new();
    for payload in peek(&account, secret).await? {
        if payload.doc == group_doc_id(space) {
            let _ = match payload.kind {
                PayloadKind::Snapshot => group.doc_mut().apply_snapshot(&payload.bytes),
                _ => group.doc_mut().apply(&payload.bytes),
            };
        }
    }
    Ok(Preview { name: group.name(), members: group.members().into_iter().map(|m| m.name).collect() })
}

/// Creates a home group with this person as its first member. Returns its space.
pub async fn create_group(
    repo: Repo,
    sync: Sync,
    name: &str,
    my_name: &str,
) -> Result<SpaceId, StorageError> {
    join_group(repo, sync, SpaceSecret::generate(), name, my_name).await
}

/// Joins the home group born from `secret`, adding this person to its members (and, in a
/// cohort, telling the cohort which group they are in).
pub async fn join_group(
    repo: Repo,
    sync: Sync,
    secret: SpaceSecret,
    name: &str,
    my_name: &str,
) -> Result<SpaceId, StorageError> {
    remember_name(repo, my_name);
    let space = repo.update_account(|a| a.join(SpaceKind::HomeGroup, name, Access::Member(secret))).await?;
    sync.joined(space);
    let person = person_id(&repo).unwrap_or_default();
    let group = repo.group(space);
    group.edit(|g| {
        if g.name().is_empty() {
            g.set_name(name);
        }
        g.add_member(&person, my_name, platform::now().utc_ms);
    });
    group.flush().await;
    if let Some(cohort) = writable_cohort(&repo) {
        cohort.edit(|c| c.register_group(&space.to_string(), name, &person));
    }
    // The name remembered in the profile is kept too, before the page moves on.
    repo.flush_all().await;
    Ok(space)
}

/// Joins the cohort of an invite, in the invite's role. Members (not executive viewers) add
/// themselves and their profile card to it.
pub async fn join_cohort(
    repo: Repo,
    sync: Sync,
    invite: &Invite,
    my_name: &str,
) -> Result<SpaceId, StorageError> {
    let InviteKind::Cohort(role) = invite.kind else {
        return Err(StorageError::Failed("not a cohort invite".to_owned()));
    };
    remember_name(repo, my_name);
    let access = match &invite.key {
        InviteKey::Secret(secret) => Access::Member(secret.clone()),
        InviteKey::Reader(reader) => Access::Reader(reader.clone()),
    };
    let space = repo
        .update_account(|a| {
            let space = a.join(SpaceKind::Cohort, &invite.name, access);
            a.set_roles(space, Some(role), None);
            space
        })
        .await?;
    sync.joined(space);
    if role != CohortRole::Executive {
        if let Some(cohort) = repo.cohort_doc(space) {
            let person = person_id(&repo).unwrap_or_default();
            let region = repo.profile.with(|p| p.get(ProfileField::Region));
            cohort.edit(|c| {
                if c.name().is_empty() {
                    c.set_name(&invite.name);
                }
                c.upsert_member(&person, my_name, role, &region);
            });
            cohort.flush().await;
        }
        mirror_profile(repo);
    }
    repo.flush_all().await;
    Ok(space)
}

/// Starts a cohort, with this person in the programme team.
pub async fn create_cohort(
    repo: Repo,
    sync: Sync,
    name: &str,
    my_name: &str,
) -> Result<SpaceId, StorageError> {
    let invite = Invite {
        kind: InviteKind::Cohort(CohortRole::ProgrammeTeam),
        key: InviteKey::Secret(SpaceSecret::generate()),
        name: name.to_owned(),
        from: my_name.to_owned(),
        registration: registration(&repo),
    };
    join_cohort(repo, sync, &invite, my_name).await
}

/// Starts a coaching pair, as the coach: the space, and the invite link for the coachee.
pub async fn create_coaching(repo: Repo, sync: Sync, coachee_hint: &str) -> Result<Invite, StorageError> {
    let secret = SpaceSecret::generate();
    let name = format!("Coaching with {}", my_name(&repo));
    let space = repo
        .update_account(|a| {
            let space = a.join(SpaceKind::Coaching, coachee_hint, Access::Member(secret.clone()));
            a.set_roles(space, None, Some(Owner::Coach));
            space
        })
        .await?;
    sync.joined(space);
    if let Some(coaching) = repo.coaching(space) {
        let (person, name) = (person_id(&repo).unwrap_or_default(), my_name(&repo));
        coaching.edit(|c| c.set_person(Owner::Coach, &person, &name));
        coaching.flush().await;
    }
    Ok(Invite {
        kind: InviteKind::Coaching,
        key: InviteKey::Secret(secret),
        name,
        from: my_name(&repo),
        registration: registration(&repo),
    })
}

/// Joins the coaching pair of an invite, as the participant.
pub async fn join_coaching(
    repo: Repo,
    sync: Sync,
    secret: SpaceSecret,
    name: &str,
    my_name: &str,
) -> Result<SpaceId, StorageError> {
    remember_name(repo, my_name);
    let space = repo
        .update_account(|a| {
            let space = a.join(SpaceKind::Coaching, name, Access::Member(secret));
            a.set_roles(space, None, Some(Owner::Participant));
            space
        })
        .await?;
    sync.joined(space);
    let person = person_id(&repo).unwrap_or_default();
    if let Some(coaching) = repo.coaching(space) {
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

/// The coaching pairs this person is the participant of: (space, coach's name).
pub fn my_coaches(repo: &Repo) -> Vec<SpaceId> {
    repo.with_account(|a| {
        a.map(|a| {
            a.of_kind(SpaceKind::Coaching)
                .filter(|s| s.side == Some(Owner::Participant))
                .map(|s| s.id())
                .collect()
        })
        .unwrap_or_default()
    })
}

/// The coaching pairs this person coaches.
pub fn my_coachees(repo: &Repo) -> Vec<SpaceId> {
    repo.with_account(|a| {
        a.map(|a| {
            a.of_kind(SpaceKind::Coaching).filter(|s| s.side == Some(Owner::Coach)).map(|s| s.id()).collect()
        })
        .unwrap_or_default()
    })
}

/// Shares a journal entry with the coach of `coaching`: a copy, in the pair's space, saved at
/// once (sharing is a decision, not a keystroke).
pub async fn share_entry(repo: &Repo, coaching: SpaceId, entry: &Entry) {
    if let Some(shared) = repo.shared(coaching, &entry.id) {
        let at = platform::now().utc_ms;
        shared.edit(|s| s.share(entry, at));
        shared.flush().await;
    }
}

/// Keeps a shared copy in step with the entry (the participant edited it after sharing).
pub fn refresh_shared(repo: &Repo, entry: &Entry) {
    for coaching in my_coaches(repo) {
        if let Some(shared) = shared_copy(repo, coaching, &entry.id)
            && shared.with_untracked(|s| s.view().body != entry.body)
        {
            let at = shared.with_untracked(|s| s.view().shared_ms);
            shared.edit(|s| s.share(entry, at));
        }
    }
}

/// The live shared copy of an entry in `coaching`, if it is shared there.
pub fn shared_copy(repo: &Repo, coaching: SpaceId, entry: &EntryId) -> Option<DocHandle<SharedEntry>> {
    let id = format!("shared/{coaching}/{entry}");
    repo.docs_with_prefix(&id).into_iter().find_map(|(doc, target)| match target {
        crate::repo::Target::Shared(h) if doc == id && !h.with(|s| s.view().withdrawn) => Some(h),
        _ => None,
    })
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

/// The cohort this person may write to, if any.
fn writable_cohort(repo: &Repo) -> Option<DocHandle<amplify::Cohort>> {
    let space =
        repo.with_account(|a| a.and_then(|a| a.cohort()).filter(|c| c.can_write()).map(|c| c.id()))?;
    repo.cohort_doc(space)
}

/// Copies this person's profile into their card in the cohort, where the Little Black Book and
/// the cohort's members read it.
pub fn mirror_profile(repo: Repo) {
    let Some(cohort) =
        repo.with_account(|a| a.and_then(|a| a.cohort()).filter(|c| c.can_write()).map(|c| c.id()))
    else {
        return;
    };
    let Some(person) = person_id(&repo) else { return };
    let Some(card) = repo.person_card(cohort, &person) else { return };
    let differs = repo.profile.with_untracked(|mine| {
        card.with_untracked(|theirs| mine.fields() != theirs.fields() || mine.photo() != theirs.photo())
    });
    if differs {
        repo.profile.with_untracked(|mine| card.edit(|theirs| theirs.copy_from(mine)));
    }
}

/// Publishes this person's experiment story to the cohort's showcase.
pub fn publish(repo: &Repo, canvas: DocHandle<Canvas>) -> Result<(), &'static str> {
    let cohort = repo
        .with_account(|a| a.and_then(|a| a.cohort()).filter(|c| c.can_write()).map(|c| c.id()))
        .ok_or("Join your cohort first: the showcase belongs to it.")?;
    let person = person_id(repo).ok_or("still starting")?;
    let card = repo.showcase(cohort, &person).ok_or("still starting")?;
    let (story, stage) = canvas.with_untracked(|c| (c.story(), c.stage()));
    let published = Published {
        person,
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
pub fn set_stage(repo: &Repo, canvas: DocHandle<Canvas>, stage: Stage) -> Result<(), &'static str> {
    canvas.edit(|c| c.set_stage(stage));
    if stage == Stage::Showcased || is_published(repo) { publish(repo, canvas) } else { Ok(()) }
}

/// Whether this person has published their experiment.
pub fn is_published(repo: &Repo) -> bool {
    let Some(cohort) = repo.with_account(|a| a.and_then(|a| a.cohort()).map(|c| c.id())) else {
        return false;
    };
    let Some(person) = person_id(repo) else { return false };
    let id = format!("story/{cohort}/{person}");
    repo.docs_with_prefix(&id).into_iter().any(|(doc, t)| {
        doc == id && matches!(t, crate::repo::Target::Showcase(h) if h.with_untracked(|s| s.card().is_some()))
    })
}

/// Makes this device one of the person's devices: their own space replaces this device's, and
/// whatever this device already held is sent to it, merged rather than lost.
pub async fn link_device(repo: Repo, sync: Sync, secret: SpaceSecret) -> Result<(), StorageError> {
    let storage = repo.storage().ok_or_else(|| StorageError::Unavailable("not open yet".to_owned()))?;
    repo.flush_all().await;
    let old = repo.update_account(|a| a.link_personal(secret, "Your journal")).await?;
    if let Some(old) = old {
        storage.dequeue_space(&old.to_string()).await?;
        let new = repo.with_account(|a| a.map(|a| a.personal().id())).expect("the account is loaded");
        for target in repo.targets_in(new) {
            let bytes = target.save_whole();
            if let Some(outgoing) = sync.seal_for(&target.id(), &bytes, PayloadKind::Changes) {
                storage.enqueue(&outgoing).await?;
            }
        }
    }
    sync.restart();
    Ok(())
}

/// Keeps the person's keyring and this device's account in step, both ways: spaces joined here
/// are recorded for the person's other devices, and spaces another device recorded are joined
/// here (its documents then arrive from the relay). Reactive: run it in an effect.
pub fn keep_keyring(repo: Repo, sync: Sync) {
    let Some(keyring) = repo.keyring() else { return };
    // The registration travels both ways too.
    match (keyring.with(amplify::Keyring::registration), registration(&repo)) {
        (None, Some(mine)) => keyring.edit(|k| k.set_registration(&mine.to_code())),
        (Some(code), None) => {
            if let Ok(key) = RegistrationKey::parse_code(&code) {
                leptos::task::spawn_local(async move {
                    if let Err(e) = use_registration(repo, sync, key).await {
                        web_sys::console::warn_1(&format!("could not keep the registration: {e}").into());
                    }
                });
            }
        }
        _ => {}
    }
    let mine = repo.with_account(|a| a.map(crate::account::Account::keyring_records).unwrap_or_default());
    let recorded = keyring.with(amplify::Keyring::entries);
    let unrecorded: Vec<_> =
        mine.into_iter().filter(|(space, _)| !recorded.iter().any(|(s, _)| s == space)).collect();
    if !unrecorded.is_empty() {
        keyring.edit(|k| unrecorded.iter().for_each(|(space, record)| k.put(space, record)));
    }
    let known = |space: &str| {
        repo.account_untracked(|a| a.is_some_and(|a| a.spaces.iter().any(|s| s.id().to_string() == space)))
    };
    let missing: Vec<_> = recorded.into_iter().filter(|(space, _)| !known(space)).collect();
    if missing.is_empty() {
        return;
    }
    leptos::task::spawn_local(async move {
        let joined = repo
            .update_account(|a| {
                missing.iter().filter_map(|(space, record)| a.adopt(space, record)).collect::<Vec<_>>()
            })
            .await;
        for space in joined.unwrap_or_default() {
            sync.joined(space);
        }
    });
}

/// Puts `name` in the profile if the profile has none yet.
fn remember_name(repo: Repo, name: &str) {
    if !name.trim().is_empty() && repo.profile.with_untracked(|p| p.get(ProfileField::Name).trim().is_empty())
    {
        repo.profile.edit(|p| p.set(ProfileField::Name, name.trim()));
    }
}
