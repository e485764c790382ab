//! Amplify's shared core: the documents people keep, as automerge documents, with no I/O.
//!
//! The app and the server both build on this crate; it knows no DOM, socket or database.
//! Callers pass in the time; randomness comes from the platform through `getrandom`.
//!
//! ```
//! use amplify::{Journal, Model, Moment, Query};
//!
//! let mut phone = Journal::new();
//! let id = phone.add_entry(Moment::new(1_764_000_000_000, 60), Some("What do I stand for?"));
//! phone.set_body(&id, "Candour, kindly.");
//!
//! // A second device starts from the phone's save and edits offline.
//! let mut laptop = Journal::load(&phone.doc_mut().save()).unwrap();
//! laptop.add_tag(&id, "values");
//! phone.set_body(&id, "Candour, kindly. Always.");
//!
//! // Exchanging changes in either order gives both the same journal.
//! let from_laptop = laptop.doc_mut().save();
//! phone.doc_mut().apply(&from_laptop).unwrap();
//! let entry = &phone.search(&Query::parse("#values"))[0];
//! assert_eq!(entry.body, "Candour, kindly. Always.");
//! ```

mod canvas;
mod coaching;
mod codec;
mod cohort;
mod crypto;
mod doc;
mod doc_id;
pub mod engine;
mod error;
mod export;
mod group;
mod invite;
mod journal;
mod keyring;
pub mod members;
mod profile;
mod prompts;
mod registration;
mod showcase;
pub mod sort;
mod time;
mod wire;

pub use automerge::ChangeHash;

pub use crate::{
    canvas::{Assumption, Canvas, Comment, Decision, Edit, Evidence, Field, Risk, Section, Stage, Story},
    coaching::{Action, Coaching, Goal, Notes, Owner, Pair, Session, SharedEntry, SharedView},
    codec::WireError,
    cohort::{Cohort, CohortMember, CohortRole, Event, GroupInfo, Milestone},
    crypto::{
        Cert, CertRole, ContentKey, DeviceId, DeviceKey, DocRef, Payload, PayloadKind, ReaderKeys, SealError,
        Sealed, SpaceId, SpaceKeys, SpaceSecret, verify_challenge, verify_erase,
    },
    doc::{Doc, DocKind, Model, validate_changes},
    doc_id::{DocId, NotADocId, PersonId},
    error::{DocError, Error},
    export::{canvas_json, canvas_markdown, journal_json, journal_markdown},
    group::{Group, Member},
    invite::{Invite, InviteError, InviteKey, InviteKind, code_char, parse_recovery_code, recovery_code},
    journal::{
        Day, Energy, Entry, EntryId, Journal, Query, decode_entries, encode_entries, normalize_tag,
        tag_counts, volume_id, volume_month,
    },
    keyring::Keyring,
    profile::{Placement, Profile, ProfileField, ProfileFields},
    prompts::{CORE_PROMPTS, DAILY_PROMPTS, prompt_of_the_day},
    registration::{RegistrationId, RegistrationKey, SpaceRegistration},
    showcase::{Published, Showcase},
    time::{Date, Moment, Month},
    wire::{
        ClientFrame, Fatal, MAX_AUTH_CERTS, MAX_SUBSCRIBE_CURSORS, Reject, RelayFrame, blob_frame,
        compact_frame, decode_sealed, encode_sealed, snapshot_frame,
    },
};

/// `N` random bytes from the platform's secure random source.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the platform has a random source");
    bytes
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exactly `2 * N` lowercase hex digits back into bytes.
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let digits = s.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; N];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        bytes[i] = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(bytes)
}
