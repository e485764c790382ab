//! With `engine-later` (the web app's split build), no engine is installed until the caller
//! installs one: documents made before read as empty and are created once it is here.
//! `cargo test -p amplify --features engine-later --test engine_later` (run by `./x test`).

#![cfg(feature = "engine-later")]

use amplify::{Journal, Model, Moment, Profile, ProfileField, engine};

#[test]
fn a_document_made_before_the_engine_reads_as_empty_and_is_created_once_it_is_installed() {
    // Each test binary is one process: this is the only test, so nothing installed it before.
    assert!(engine::installed().is_none());
    let journal = Journal::new();
    let profile = Profile::new();
    assert!(journal.entries().is_empty());
    assert_eq!(profile.get(ProfileField::Name), "");
    // Writing before the engine is a bug, said plainly.
    let written = std::panic::catch_unwind(|| {
        let mut early = Journal::new();
        early.add_entry(Moment::new(1_764_000_000_000, 60), None);
    });
    assert!(written.is_err(), "a write without an engine must not pass silently");

    engine::install(engine::automerge());
    // The placeholders are created on first use, with the same first change as anywhere else:
    // what they hold merges with a copy made elsewhere.
    let mut journal = journal;
    let id = journal.add_entry(Moment::new(1_764_000_000_000, 60), None);
    journal.set_body(&id, "Written once automerge was here.");
    let mut elsewhere = Journal::new();
    elsewhere.doc_mut().apply(&journal.doc_mut().save()).unwrap();
    assert_eq!(elsewhere.entries()[0].body, "Written once automerge was here.");
    let loaded = Journal::load(&journal.doc_mut().save()).unwrap();
    assert_eq!(loaded.entries().len(), 1);
    assert_eq!(profile.get(ProfileField::Name), "");
}
