//! Home groups: the preview before joining, creating one, joining one.

use amplify::{DocId, Group, Invite, Model, PayloadKind, SpaceId, SpaceSecret};

use super::{ActionError, cohort::writable_cohort, members::enter, person_id, remember_name};
use crate::{
    account::SpaceKind,
    documents::Repo,
    platform::{self, warn},
    sync::{SyncHandle, peek},
};

/// Who is in a space, as the join page shows it before joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub name: String,
    pub members: Vec<String>,
}

/// Reads a group's name and members from the relay, without joining.
pub async fn preview(repo: Repo, secret: &SpaceSecret) -> Result<Preview, ActionError> {
    let account = repo.with_account(|a| a.cloned()).ok_or(ActionError::NotReady)?;
    let space = secret.keys().id;
    let mut group = Group::new();
    for payload in peek(&account, secret).await.map_err(ActionError::Relay)? {
        if payload.doc == DocId::Group(space).to_string() {
            let applied = match payload.kind {
                PayloadKind::Snapshot => group.doc_mut().apply_snapshot(&payload.bytes),
                _ => group.doc_mut().apply(&payload.bytes),
            };
            // A damaged change shows less of the preview; joining fetches everything again.
            if let Err(e) = applied {
                warn(&format!("a change in the group's preview could not be read: {e}"));
            }
        }
    }
    Ok(Preview { name: group.name(), members: group.members().into_iter().map(|m| m.name).collect() })
}

/// Creates a home group with this person as its first member (and its admin). Returns its
/// space.
pub async fn create_group(
    repo: Repo,
    sync: SyncHandle,
    name: &str,
    my_name: &str,
) -> Result<SpaceId, ActionError> {
    remember_name(repo, my_name);
    let space = repo.update_account(|a| a.create_governed(SpaceKind::HomeGroup, name, 0)).await?;
    sync.joined(space);
    welcome_me(repo, space, name, my_name).await
}

/// Joins the home group of `invite`, adding this person to its members (and, in a cohort the
/// programme team runs from this device, telling the cohort which group they are in).
pub async fn join_group(
    repo: Repo,
    sync: SyncHandle,
    invite: &Invite,
    my_name: &str,
) -> Result<SpaceId, ActionError> {
    remember_name(repo, my_name);
    let space = enter(repo, sync, invite, SpaceKind::HomeGroup).await?;
    welcome_me(repo, space, &invite.name, my_name).await
}

/// Adds this person to the group document's members.
async fn welcome_me(repo: Repo, space: SpaceId, name: &str, my_name: &str) -> Result<SpaceId, ActionError> {
    let person = person_id(&repo).ok_or(ActionError::NotReady)?.to_string();
    let group = repo.handle::<Group>(DocId::Group(space)).ok_or(ActionError::NotReady)?;
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
