//! Who is in a space: joining with an invite, making and revoking invites, removing someone,
//! leaving, the person's own devices (linking, removing a lost one, restoring from the recovery
//! code), and erasing the account.

use std::collections::BTreeMap;

use amplify::{
    Invite, InviteKey, InviteKind, Keyring, PersonId, SpaceId,
    members::{Action, InviteId, MemberRole, Op, Recipient, RecoveryKey, State},
};

use super::ActionError;
use crate::{
    account::{Access, Governed, SpaceKind, cohort_tag, side_tag},
    documents::Repo,
    platform,
    sync::{Errand, SyncHandle},
};

const DAY_MS: i64 = 86_400_000;

/// How long an invite lasts unless its maker says otherwise.
pub const DEFAULT_INVITE_DAYS: i64 = 7;

/// What an invite to a space of `kind` gives, and how many devices it admits by default.
pub fn invite_defaults(kind: InviteKind) -> (MemberRole, u8, u32) {
    match kind {
        // Peers in a home group run it together.
        InviteKind::HomeGroup => (MemberRole::Admin, 0, 6),
        // Either side of a coaching pair may end it (a coach replaced).
        InviteKind::Coaching => (MemberRole::Admin, side_tag(amplify::Owner::Participant), 1),
        // An executive viewer writes only their own card (their name): every peer refuses
        // anything else they sign.
        InviteKind::Cohort(role) => {
            let rights = match role {
                amplify::CohortRole::ProgrammeTeam => MemberRole::Admin,
                _ => MemberRole::Writer,
            };
            (rights, cohort_tag(role), 60)
        }
        InviteKind::Device => (MemberRole::Admin, 0, 1),
    }
}

/// Enters the space of `invite` as `kind`: a space from before governed spaces is joined with
/// the secret the link carries; a governed one with the relay first (it checks that the
/// invite has not expired, run out or been revoked), then its log and keys come back.
pub async fn enter(
    repo: Repo,
    sync: SyncHandle,
    invite: &Invite,
    kind: SpaceKind,
) -> Result<SpaceId, ActionError> {
    let access = match &invite.key {
        InviteKey::Secret(secret) => Access::Member(secret.clone()),
        InviteKey::Reader(reader) => Access::Reader(reader.clone()),
        InviteKey::Ticket { space, seed, opened } => {
            Access::Governed(join_governed(&repo, *space, *seed, *opened, kind).await?)
        }
    };
    let space = repo.update_account(|a| a.join(kind, &invite.name, access)).await?;
    sync.joined(space);
    Ok(space)
}

/// Joins the governed space `space` with the invite key `seed` (opened by `opened`).
pub(super) async fn join_governed(
    repo: &Repo,
    space: SpaceId,
    seed: [u8; 32],
    opened: amplify::members::OpId,
    kind: SpaceKind,
) -> Result<Governed, ActionError> {
    let account = repo.with_account(|a| a.cloned()).ok_or(ActionError::NotReady)?;
    let invite = amplify::members::InviteKey::from_seed(seed);
    // Linking a device: it joins as the person whose space it is.
    let person = if kind == SpaceKind::Personal { space } else { account.personal().id() };
    let join = Action::Join { device: account.device.id(), agreement: account.agreement.public(), person };
    let join = Op::by_invite(space, vec![opened], platform::now().utc_ms, join, &invite.signing());
    let certs = account.spaces.iter().filter(|s| !s.removed).map(|s| s.cert).collect();
    let mut errand = Errand::open(&account.device, certs).await.map_err(ActionError::Relay)?;
    errand.members(space, vec![join]).await.map_err(|why| ActionError::Invite(invite_words(&why)))?;
    let log = errand.log(space).await.map_err(ActionError::Relay)?;
    let mut governed = Governed::new(State::new(space), BTreeMap::new());
    governed.take(log);
    governed.collect_keys(Recipient::Invite(invite.id()), &invite.agreement());
    governed.collect_keys(Recipient::Device(account.device.id()), &account.agreement);
    if governed.refs().is_none() {
        return Err(ActionError::Relay("the space's keys did not come with the invite".to_owned()));
    }
    Ok(governed)
}

/// The relay's reason for refusing a join, as the person reads it.
fn invite_words(why: &str) -> String {
    if why.contains("expired") {
        "this invite has expired. Ask for a new link.".to_owned()
    } else if why.contains("used up") {
        "this invite has been used as many times as it may. Ask for a new link.".to_owned()
    } else if why.contains("revoked") {
        "this invite was revoked. Ask for a new link.".to_owned()
    } else if why.contains("already here") || why.contains("already a member") {
        "you are in this space already (on another device). Link this device from Settings there.".to_owned()
    } else {
        format!("the invite was refused ({why})")
    }
}

/// Opens an invite to `space` of kind `kind`, valid `days` days for `uses` devices, and returns
/// it (the link is made from it).
pub async fn make_invite(
    repo: Repo,
    sync: SyncHandle,
    space: SpaceId,
    kind: InviteKind,
    days: i64,
    uses: u32,
    from: &str,
) -> Result<Invite, ActionError> {
    let (role, tag, _) = invite_defaults(kind);
    let now = platform::now().utc_ms;
    let person = (kind == InviteKind::Device).then_some(space);
    let (opened, name) = repo
        .update_account(|a| {
            let name = a.space(space).map(|s| s.name.clone()).unwrap_or_default();
            (a.open_invite(space, (role, tag), now + days * DAY_MS, uses, person, now), name)
        })
        .await?;
    let opened = opened.ok_or(ActionError::NotAllowed)?;
    sync.publish(opened.ops);
    Ok(Invite {
        kind,
        key: InviteKey::Ticket { space, seed: opened.key.seed(), opened: opened.opened },
        name,
        from: from.to_owned(),
        registration: super::registration(&repo),
    })
}

pub async fn revoke_invite(
    repo: Repo,
    sync: SyncHandle,
    space: SpaceId,
    invite: InviteId,
) -> Result<(), ActionError> {
    let now = platform::now().utc_ms;
    let ops = repo.update_account(|a| a.revoke_invite(space, invite, now)).await?;
    sync.publish(ops);
    Ok(())
}

/// Removes `person` (all their devices) from `space`, and replaces its key.
pub async fn remove_person(
    repo: Repo,
    sync: SyncHandle,
    space: SpaceId,
    person: PersonId,
) -> Result<(), ActionError> {
    let now = platform::now().utc_ms;
    let ops = repo.update_account(|a| a.remove_person(space, person, now)).await?;
    if ops.is_empty() {
        return Err(ActionError::NotAllowed);
    }
    sync.publish(ops);
    Ok(())
}

/// Leaves `space`: all of this person's devices. What this device holds of it stays here.
pub async fn leave(repo: Repo, sync: SyncHandle, space: SpaceId) -> Result<(), ActionError> {
    let now = platform::now().utc_ms;
    let ops = repo.update_account(|a| a.leave(space, now)).await?;
    if ops.is_empty() {
        return Err(ActionError::NotAllowed);
    }
    sync.publish(ops);
    Ok(())
}

/// Removes one of this person's devices from everything (a lost phone), and gives the person
/// a new recovery code (the lost device could read the old one).
pub async fn remove_device(
    repo: Repo,
    sync: SyncHandle,
    device: amplify::DeviceId,
) -> Result<(), ActionError> {
    let now = platform::now().utc_ms;
    let ops = repo.update_account(|a| a.remove_device(device, now)).await?;
    if ops.is_empty() {
        return Err(ActionError::NotAllowed);
    }
    sync.publish(ops);
    replace_recovery(repo, sync).await
}

/// A new recovery code: the new recovery key joins the person's own space (and, through the
/// upkeep, every other), and the old one leaves. The keyring then names the new code, for every
/// device of the person's.
pub async fn replace_recovery(repo: Repo, sync: SyncHandle) -> Result<(), ActionError> {
    let now = platform::now().utc_ms;
    let old = current_recovery(&repo, false).and_then(|code| recovery_device(&code));
    let fresh = RecoveryKey::generate();
    let code = amplify::recovery_code(&fresh.seed());
    let ops = repo
        .update_account(|a| {
            let mut ops = a.add_own_device(fresh.device().id(), fresh.agreement().public(), now);
            if let Some(old) = old {
                ops.extend(a.remove_device(old, now));
            }
            a.recovery = Some(fresh);
            ops
        })
        .await?;
    sync.publish(ops);
    if let Some(keyring) = repo.keyring() {
        keyring.edit(|k| k.set_recovery(&code));
        keyring.flush().await;
    }
    Ok(())
}

/// The person's recovery code: of the one this device holds and those its keyring names
/// (`Keyring::recoveries`), the one whose key is a member of their own space now. A code
/// replaced on another device, or one a device wrote for itself before it was linked, is not,
/// and is never shown as the way back in. Reactive when `tracked`.
pub fn current_recovery(repo: &Repo, tracked: bool) -> Option<String> {
    let codes = repo
        .keyring()
        .map(|k| if tracked { k.with(Keyring::recoveries) } else { k.with_untracked(Keyring::recoveries) })
        .unwrap_or_default();
    let pick = |a: Option<&crate::account::Account>| {
        let a = a?;
        let own = a.personal().governed()?.state();
        let held = a.recovery.as_ref().map(|r| amplify::recovery_code(&r.seed()));
        held.into_iter()
            .chain(codes)
            .find(|code| recovery_device(code).is_some_and(|d| own.member(d).is_some()))
    };
    if tracked { repo.with_account(pick) } else { repo.account_untracked(pick) }
}

/// The recovery code to show the person (reactive): [`current_recovery`], or for an account
/// from before governed spaces, its own space's secret written as a code.
pub fn recovery_to_show(repo: &Repo) -> Option<String> {
    current_recovery(repo, true).or_else(|| {
        repo.with_account(|a| a?.personal().secret().map(|secret| amplify::recovery_code(&secret.to_bytes())))
    })
}

/// The person's other devices learn the recovery code through the keyring: the device that
/// holds the key names it there when the keyring names none. (A code is replaced only by
/// `replace_recovery`, so two devices never take turns writing their own.)
pub async fn keep_recovery_in_keyring(repo: &Repo) {
    let Some(keyring) = repo.keyring() else { return };
    if !keyring.with_untracked(Keyring::recoveries).is_empty() {
        return;
    }
    let held = repo.account_untracked(|a| {
        a.and_then(|a| a.recovery.as_ref()).map(|r| amplify::recovery_code(&r.seed()))
    });
    // Only the code this device holds, and only while it is the person's.
    if let Some(code) = held
        && current_recovery(repo, false).as_ref() == Some(&code)
    {
        keyring.edit(|k| k.set_recovery(&code));
        keyring.flush().await;
    }
}

/// The device a recovery code's key is among a space's members, if the code reads.
pub fn recovery_device(code: &str) -> Option<amplify::DeviceId> {
    let seed = amplify::parse_recovery_code(code).ok()?;
    Some(RecoveryKey::from_seed(seed).device().id())
}

/// Restores this device from a recovery code: as the recovery key, it finds the person's
/// spaces on the relay and adds this device to each (with the keys the recovery key holds).
/// Returns the person's own space; `None` if the code belongs to no governed space (an
/// account from before governed spaces: the code is then its own space's secret).
pub async fn restore(repo: &Repo, seed: [u8; 32]) -> Result<Option<Governed>, ActionError> {
    let account = repo.with_account(|a| a.cloned()).ok_or(ActionError::NotReady)?;
    let recovery = RecoveryKey::from_seed(seed);
    let as_recovery = recovery.device();
    let mut errand = Errand::open(&as_recovery, Vec::new()).await.map_err(ActionError::Relay)?;
    let now = platform::now().utc_ms;
    let mut personal = None;
    for space in errand.spaces.clone() {
        let log = errand.log(space).await.map_err(ActionError::Relay)?;
        let mut governed = Governed::new(State::new(space), BTreeMap::new());
        governed.take(log);
        governed.collect_keys(Recipient::Device(as_recovery.id()), &recovery.agreement());
        let state = governed.state().clone();
        let Some(me) = state.member(as_recovery.id()).cloned() else { continue };
        let add = Action::Add {
            device: account.device.id(),
            agreement: account.agreement.public(),
            person: me.person,
            role: me.role,
            tag: me.tag,
        };
        let mut grown = state.clone();
        let add = Op::by_device(space, grown.heads(), now, add, &as_recovery);
        grown.add(add.clone()).map_err(|e| ActionError::Relay(e.to_string()))?;
        let to = [(Recipient::Device(account.device.id()), account.agreement.public())];
        let mut ops = vec![add];
        ops.extend(grown.share(&as_recovery, &governed.keys(), &to, now));
        errand.members(space, ops.clone()).await.map_err(ActionError::Relay)?;
        if me.person == space {
            governed.take(ops);
            governed.collect_keys(Recipient::Device(account.device.id()), &account.agreement);
            personal = Some(governed);
        }
    }
    Ok(personal)
}

/// Erases this person's account: they leave every shared space (what they wrote there stays,
/// with their name), the relay erases their own space (journal, profile, coaching notes),
/// and then this device forgets everything. Needs a connection: nothing is forgotten here
/// until the relay has erased.
pub async fn erase_account(repo: Repo) -> Result<(), ActionError> {
    let account = repo.with_account(|a| a.cloned()).ok_or(ActionError::NotReady)?;
    let now = platform::now().utc_ms;
    let certs = account.spaces.iter().filter(|s| !s.removed).map(|s| s.cert).collect();
    let mut errand = Errand::open(&account.device, certs).await.map_err(ActionError::Relay)?;
    let mut leaving = account.clone();
    for joined in account.spaces.iter().filter(|s| s.kind != SpaceKind::Personal && !s.removed) {
        let ops = leaving.leave(joined.id(), now);
        if !ops.is_empty() {
            errand.members(joined.id(), ops).await.map_err(ActionError::Relay)?;
        }
    }
    let personal = account.personal();
    let signature = match personal.keys() {
        Some(keys) => keys.erase_request(),
        None => account.device.erase_request(personal.id()),
    };
    errand.erase(personal.id(), signature).await.map_err(ActionError::Relay)?;
    Ok(())
}

/// Whose invite made each member join, for the invite list: (invite, people who joined).
pub fn joined_with(state: &State, invite: InviteId) -> Vec<PersonId> {
    let mut people: Vec<PersonId> = state
        .invite(invite)
        .map(|i| i.joined.iter().filter_map(|d| state.person_of(*d)).collect())
        .unwrap_or_default();
    people.dedup();
    people
}
