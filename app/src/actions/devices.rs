//! The person's devices: linking another one, keeping the keyring in step, and the server
//! registration their devices use.

use amplify::{Invite, PayloadKind, RegistrationKey, SpaceSecret, members::RecoveryKey};

use super::{ActionError, members};
use crate::{
    account::{Access, SpaceKind},
    documents::Repo,
    platform::warn,
    sync::SyncHandle,
};

/// The programme's registration on the relay, as this device knows it: invites carry it.
pub fn registration(repo: &Repo) -> Option<RegistrationKey> {
    repo.with_account(|a| a.and_then(|a| a.registration.clone()))
}

/// Starts using `key` to register this person's spaces on the relay (a code the programme
/// team entered, or one an invite carried). Every device of the person learns it through the
/// keyring. Reconnects, so the relay hears of it at once.
pub async fn use_registration(repo: Repo, sync: SyncHandle, key: RegistrationKey) -> Result<(), ActionError> {
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
pub async fn adopt_registration(repo: Repo, sync: SyncHandle, invite: &Invite) {
    if let Some(key) = invite.registration.clone()
        && registration(&repo).is_none()
        && let Err(e) = use_registration(repo, sync, key).await
    {
        warn(&format!("could not keep the invite's registration: {e}"));
    }
}

/// Makes this device one of the person's devices, with a link from another of them: their own
/// space replaces this device's, and whatever this device already held is sent to it, merged
/// rather than lost. (The other devices then add this one to every space the person is in.)
pub async fn link_device(repo: Repo, sync: SyncHandle, invite: &Invite) -> Result<(), ActionError> {
    let access = match &invite.key {
        amplify::InviteKey::Ticket { space, seed, opened } => {
            let governed = members::join_governed(&repo, *space, *seed, *opened, SpaceKind::Personal).await?;
            // The person's recovery key is the one their keyring names, not this device's own.
            repo.update_account(|a| a.recovery = None).await?;
            Access::Governed(governed)
        }
        amplify::InviteKey::Secret(secret) => Access::Member(secret.clone()),
        amplify::InviteKey::Reader(_) => return Err(ActionError::NotAllowed),
    };
    take_personal(repo, sync, access).await
}

/// Restores this device with the person's recovery code: as the recovery key, it adds this
/// device to every space the person is in (for an account from before governed spaces, the
/// code is their own space's secret).
pub async fn restore_device(repo: Repo, sync: SyncHandle, seed: [u8; 32]) -> Result<(), ActionError> {
    let access = match members::restore(&repo, seed).await? {
        Some(governed) => {
            repo.update_account(|a| a.recovery = Some(RecoveryKey::from_seed(seed))).await?;
            Access::Governed(governed)
        }
        None => Access::Member(SpaceSecret::from_bytes(seed)),
    };
    take_personal(repo, sync, access).await
}

async fn take_personal(repo: Repo, sync: SyncHandle, access: Access) -> Result<(), ActionError> {
    let storage = repo.writable_storage().await?;
    repo.flush_all().await;
    let old = repo.update_account(|a| a.link_personal(access, "Your journal")).await?;
    if let Some(old) = old {
        // The code this device named for itself leaves its keyring before the keyring merges
        // with the person's, which names theirs.
        if let Some(keyring) = repo.keyring() {
            keyring.edit(amplify::Keyring::forget_recovery);
        }
        storage.dequeue_space(&old.to_string()).await?;
        let new = repo.with_account(|a| a.map(|a| a.personal().id())).expect("the account is loaded");
        for target in repo.targets_in(new) {
            let bytes = target.save_whole();
            if let Some(outgoing) = sync.seal_for(target.id(), &bytes, PayloadKind::Changes) {
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
pub fn keep_keyring(repo: Repo, sync: SyncHandle) {
    let Some(keyring) = repo.keyring() else { return };
    // The registration travels both ways too.
    match (keyring.with(amplify::Keyring::registration), registration(&repo)) {
        (None, Some(mine)) => keyring.edit(|k| k.set_registration(&mine.to_code())),
        (Some(code), None) => {
            if let Ok(key) = RegistrationKey::parse_code(&code) {
                leptos::task::spawn_local(async move {
                    if let Err(e) = use_registration(repo, sync, key).await {
                        warn(&format!("could not keep the registration: {e}"));
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
        match joined {
            Ok(joined) => joined.into_iter().for_each(|space| sync.joined(space)),
            // The keyring is read again on the next start, and joined then.
            Err(e) => warn(&format!("could not join the spaces another device recorded: {e}")),
        }
    });
}
