//! The words the app uses for states: saving, syncing, what the relay refused, how a person
//! would name a document. Pure functions, so they are tested on their own.

use amplify::{DocId, Reject};

use crate::{
    account::SpaceKind,
    documents::SaveState,
    platform,
    storage::StorageError,
    sync::{Phase, Problem},
};

/// How an invite stands, for its maker: "used 1 of 6, until 9 Dec", "expired", "revoked".
/// `date` writes a moment as a short date.
pub fn invite_state(invite: &amplify::members::Invite, now_ms: i64, date: impl Fn(i64) -> String) -> String {
    let used = invite.joined.len() as u32;
    let uses =
        if invite.uses == 1 { "single use".to_owned() } else { format!("used {used} of {}", invite.uses) };
    if invite.revoked {
        format!("revoked ({uses})")
    } else if used >= invite.uses {
        "used up".to_owned()
    } else if now_ms > invite.expires_ms {
        format!("expired on {} ({uses})", date(invite.expires_ms))
    } else {
        format!("{uses}, until {}", date(invite.expires_ms))
    }
}

/// "1 member", "3 members": a count with its noun, singular or plural.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// The invite button for a role, as a person would say it.
pub fn invite_role(role: amplify::CohortRole) -> &'static str {
    match role {
        amplify::CohortRole::Participant => "Invite a participant",
        amplify::CohortRole::Coach => "Invite a coach",
        amplify::CohortRole::ProgrammeTeam => "Invite to the programme team",
        amplify::CohortRole::Executive => "Invite an executive viewer",
    }
}

/// What the save status says.
pub fn save_message(state: &SaveState) -> String {
    match state {
        SaveState::Saved => "Saved on this device".to_owned(),
        SaveState::Pending => "Saving…".to_owned(),
        SaveState::Failed(StorageError::Quota) => "Not saved: this device is out of storage space. \
            Your text is still here; free some space and Amplify will keep trying."
            .to_owned(),
        SaveState::Failed(e) => {
            format!("Not saved: {e}. Your text is still here and Amplify will keep trying.")
        }
    }
}

/// The sync badge: "Synced", "3 changes waiting", "Offline", "Offline · 3 changes waiting",
/// or "Can't reach the relay: <reason>". Where things are saved is the save status's to say,
/// beside it: the two lines never repeat each other.
pub fn badge(phase: &Phase, waiting: u32) -> String {
    let changes =
        |n: u32| if n == 1 { "1 change waiting".to_owned() } else { format!("{n} changes waiting") };
    match phase {
        Phase::Offline if waiting > 0 => format!("Offline · {}", changes(waiting)),
        Phase::Offline => "Offline".to_owned(),
        Phase::Unreachable(reason) => format!("Can't reach the relay: {reason}"),
        _ if waiting > 0 => changes(waiting),
        Phase::Connected { caught_up: true } => "Synced".to_owned(),
        Phase::Connected { caught_up: false } => "Syncing…".to_owned(),
        Phase::Starting | Phase::Connecting => "Connecting…".to_owned(),
    }
}

/// What to tell the person when the relay keeps refusing their changes, and what they can do.
pub fn problem_message(problem: &Problem) -> &'static str {
    match problem {
        Problem::NotRegistered => {
            "The server does not keep your changes yet: this device is not registered with it. \
             Open your programme's invite link, or enter your programme's registration code in \
             Settings. Everything stays on this device meanwhile."
        }
        Problem::Full { code: Reject::SpaceFull, kind: Some(SpaceKind::HomeGroup) } => {
            "This group's storage on the server is full: ask your programme team. \
             Your changes are kept on this device and sent once there is room."
        }
        Problem::Full { code: Reject::SpaceFull, kind: Some(SpaceKind::Personal) } => {
            "Your journal's storage on the server is full: ask your programme team. \
             Your changes are kept on this device and sent once there is room."
        }
        Problem::Full { code: Reject::DeviceFull, .. } => {
            "This device has stored all the server allows one device: ask your programme team. \
             Your changes are kept on this device and sent once there is room."
        }
        Problem::Full { code: Reject::ProgrammeFull, .. } => {
            "Your programme's storage on the server is full: ask your programme team. \
             Your changes are kept on this device and sent once there is room."
        }
        Problem::Full { code: Reject::RelayFull, .. } => {
            "The server is full: ask your programme team. \
             Your changes are kept on this device and sent once there is room."
        }
        Problem::Full { .. } => {
            "This space's storage on the server is full: ask your programme team. \
             Your changes are kept on this device and sent once there is room."
        }
    }
}

/// How a person would name a document: "journal for November 2026", "profile".
pub fn doc_name(id: DocId) -> String {
    match id {
        DocId::Journal(month) => format!("journal for {}", platform::month_label(month)),
        other => other.kind().label().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn an_invite_says_how_it_stands() {
        let mut invite = amplify::members::Invite {
            id: amplify::members::InviteId([1; 32]),
            agreement: amplify::members::AgreementPub([2; 32]),
            role: amplify::members::MemberRole::Writer,
            tag: 0,
            expires_ms: 100,
            uses: 6,
            person: None,
            by: amplify::DeviceId([3; 32]),
            made_ms: 0,
            revoked: false,
            joined: vec![amplify::DeviceId([4; 32])],
        };
        let date = |ms: i64| format!("day {ms}");
        assert_eq!(invite_state(&invite, 50, date), "used 1 of 6, until day 100");
        assert_eq!(invite_state(&invite, 101, date), "expired on day 100 (used 1 of 6)");
        invite.revoked = true;
        assert_eq!(invite_state(&invite, 50, date), "revoked (used 1 of 6)");
        invite.revoked = false;
        invite.uses = 1;
        assert_eq!(invite_state(&invite, 50, date), "used up");
    }

    #[wasm_bindgen_test]
    fn the_badge_puts_waiting_changes_before_synced_but_after_offline() {
        let connected = Phase::Connected { caught_up: true };
        assert_eq!(badge(&connected, 0), "Synced");
        assert_eq!(badge(&connected, 1), "1 change waiting");
        assert_eq!(badge(&Phase::Connected { caught_up: false }, 3), "3 changes waiting");
        assert_eq!(badge(&Phase::Offline, 3), "Offline · 3 changes waiting");
        assert_eq!(badge(&Phase::Offline, 0), "Offline");
        assert_eq!(badge(&Phase::Unreachable("no route".into()), 2), "Can't reach the relay: no route");
        assert_eq!(badge(&Phase::Connected { caught_up: false }, 0), "Syncing…");
    }

    #[wasm_bindgen_test]
    fn a_full_quota_names_whose_storage_and_whom_to_ask() {
        let group = Problem::Full { code: Reject::SpaceFull, kind: Some(SpaceKind::HomeGroup) };
        assert!(
            problem_message(&group)
                .starts_with("This group's storage on the server is full: ask your programme team.")
        );
        let programme = Problem::Full { code: Reject::ProgrammeFull, kind: None };
        assert!(problem_message(&programme).contains("programme's storage"));
        assert!(problem_message(&Problem::NotRegistered).contains("registration code in Settings"));
        for p in [group, programme, Problem::NotRegistered] {
            assert!(problem_message(&p).contains("this device"), "says the changes are kept");
        }
    }

    #[wasm_bindgen_test]
    fn a_failed_save_says_the_text_is_still_here() {
        assert_eq!(save_message(&SaveState::Saved), "Saved on this device");
        assert!(save_message(&SaveState::Failed(StorageError::Quota)).contains("out of storage space"));
        assert!(
            save_message(&SaveState::Failed(StorageError::Failed("x".into())))
                .contains("Your text is still here")
        );
    }
}
