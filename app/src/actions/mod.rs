//! What people do with spaces: create and join home groups, cohorts and coaching pairs, link
//! their devices, share journal entries with their coach, publish an experiment, register with
//! the server. Pages call these; they change the account, the documents and the outbox
//! together, and fail with an [`ActionError`].

mod coaching;
mod cohort;
mod devices;
mod groups;
mod members;

use amplify::{Invite, PersonId, ProfileField};

pub use self::{
    coaching::{
        create_coaching, has_coach, join_coaching, my_coachees, my_coaches, my_coaching_pairs,
        refresh_all_shared, refresh_shared, share_entry, shared_copy, unshare_entry,
    },
    cohort::{
        create_cohort, is_published, join_cohort, may_write_cohort, mirror_profile, place_me, publish,
        set_stage,
    },
    devices::{
        adopt_registration, keep_keyring, link_device, registration, restore_device, use_registration,
    },
    groups::{Preview, create_group, join_group, preview},
    members::{
        DEFAULT_INVITE_DAYS, current_recovery, enter, erase_account, invite_defaults, joined_with,
        keep_recovery_in_keyring, leave, make_invite, recovery_device, recovery_to_show, remove_device,
        remove_person, replace_recovery, restore, revoke_invite,
    },
};
use crate::{documents::Repo, storage::StorageError};

/// Why an action could not be done, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("this device is still starting; try again in a moment")]
    NotReady,
    #[error("this is not a cohort invite")]
    NotACohortInvite,
    #[error("join your cohort first: the showcase belongs to it")]
    NoCohort,
    /// The relay could not be asked, or refused.
    #[error("{0}")]
    Relay(String),
    /// The relay refused an invite (expired, used up, revoked).
    #[error("{0}")]
    Invite(String),
    #[error("this device may not do that here")]
    NotAllowed,
}

/// The person's id: their own space's id. The same on all their devices.
pub fn person_id(repo: &Repo) -> Option<PersonId> {
    repo.person()
}

/// The person's name, from their profile.
pub fn my_name(repo: &Repo) -> String {
    repo.profile.with(|p| p.get(ProfileField::Name))
}

/// An invite link to this app for `invite`.
pub fn invite_link(invite: &Invite) -> Option<String> {
    let origin = web_sys::window()?.location().origin().ok()?;
    Some(format!("{origin}/join#{}", invite.to_fragment()))
}

/// Puts `name` in the profile if the profile has none yet.
pub(crate) fn remember_name(repo: Repo, name: &str) {
    if !name.trim().is_empty() && repo.profile.with_untracked(|p| p.get(ProfileField::Name).trim().is_empty())
    {
        repo.profile.edit(|p| p.set(ProfileField::Name, name.trim()));
    }
}
