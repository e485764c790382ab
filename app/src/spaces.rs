//! Joining and creating spaces: home groups, and linking this device to a person's own space.
//! Pages call these; they change the account, the documents and the outbox together.

use amplify::{Group, Model, PayloadKind, ProfileField, SpaceId, SpaceSecret};

use crate::{
    account::{SpaceKind, group_doc_id},
    platform,
    repo::Repo,
    storage::StorageError,
    sync::{Sync, peek},
};

/// Who is in a group, as the join page shows it before joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub name: String,
    pub members: Vec<String>,
}

/// The person's id: their own space's id, in hex. The same on all their devices.
pub fn person_id(repo: &Repo) -> Option<String> {
    repo.with_account(|a| a.map(|a| a.personal().id().to_string()))
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
                PayloadKind::Changes => group.doc_mut().apply(&payload.bytes),
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

/// Joins the home group born from `secret`, adding this person to its members.
pub async fn join_group(
    repo: Repo,
    sync: Sync,
    secret: SpaceSecret,
    name: &str,
    my_name: &str,
) -> Result<SpaceId, StorageError> {
    remember_name(repo, my_name);
    let space = repo.update_account(|a| a.join(SpaceKind::HomeGroup, name, secret)).await?;
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
    Ok(space)
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

/// Puts `name` in the profile if the profile has none yet.
fn remember_name(repo: Repo, name: &str) {
    if !name.trim().is_empty() && repo.profile.with(|p| p.get(ProfileField::Name).trim().is_empty()) {
        repo.profile.edit(|p| p.set(ProfileField::Name, name.trim()));
    }
}
