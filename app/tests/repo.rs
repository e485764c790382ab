//! The repo as a page starts it, in a real browser: every document it hands out ends up kept
//! on the device, whenever a page asked for it.

use std::time::Duration;

use amplify::members::RecoveryKey;
use app::{Health, Repo, platform::sleep};
use leptos::prelude::GetUntracked;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Starts a repo on `db`, as a page load does; returns it once everything is read.
async fn started(db: &'static str, ask_first: impl FnOnce(Repo)) -> Repo {
    let repo = Repo::start(db, |_| {});
    ask_first(repo);
    for _ in 0..500 {
        if repo.loaded.get_untracked() {
            return repo;
        }
        sleep(Duration::from_millis(10)).await;
    }
    panic!("the repo did not finish loading");
}

#[wasm_bindgen_test]
async fn a_document_a_page_asked_for_before_storage_opened_is_kept() {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let db: &'static str = format!("amplify-test-repo-early-{}", js_sys::Math::random()).leak();
    // Asked for the moment the page starts (a view drawn as soon as the account reads), for a
    // document this device has never stored.
    let mut early = None;
    let repo = started(db, |repo| early = repo.keyring()).await;
    let keyring = early.expect("the keyring is handed out at once");
    assert_eq!(keyring.health_untracked(), Health::Ready, "a document asked for early loads with the rest");
    keyring.edit(|k| k.set_registration("AMPR-KEPT"));
    keyring.flush().await;
    assert_eq!(
        repo.keyring().expect("the same keyring").with_untracked(amplify::Keyring::registration).as_deref(),
        Some("AMPR-KEPT")
    );

    // The next start reads it from storage.
    let again = started(db, |_| {}).await;
    let kept = again.keyring().expect("the keyring").with_untracked(amplify::Keyring::registration);
    assert_eq!(kept.as_deref(), Some("AMPR-KEPT"), "what was written to it is on the device");
}

#[wasm_bindgen_test]
async fn the_account_changed_the_moment_the_page_opens_is_kept() {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let db: &'static str = format!("amplify-test-repo-account-{}", js_sys::Math::random()).leak();
    let repo = Repo::start(db, |_| {});
    // Asked at once, before storage is the repo's: a page draws, and its buttons can be tapped,
    // as soon as the account reads, a little before the repo may write (automerge is in and the
    // journal's months are listed only then).
    assert!(repo.storage().is_none(), "the change is asked for before the repo may write");
    let code = RecoveryKey::from_seed([7; 32]);
    repo.update_account(|a| a.recovery = Some(code.clone()))
        .await
        .expect("it waits for storage, then keeps it");

    let again = started(db, |_| {}).await;
    let kept = again.account_untracked(|a| a.and_then(|a| a.recovery.as_ref().map(RecoveryKey::seed)));
    assert_eq!(kept, Some(code.seed()), "the change is on the device");
}
