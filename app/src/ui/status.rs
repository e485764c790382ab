//! The status lines every page shows: saved, synced, what the relay refused, storage that could
//! not be opened, a new version waiting.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use super::{
    update::Update,
    words::{badge, problem_message, save_message},
};
use crate::{
    documents::{Repo, SaveState},
    sync::{Phase, Problem, SyncHandle},
};

/// "Saved on this device", or why not: one line for every document, announced politely.
#[component]
pub fn SaveStatus() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let state = move || repo.save_state();
    view! {
        <p
            class="save-status"
            class:failed=move || matches!(state(), SaveState::Failed(_))
            role="status"
            aria-live="polite"
            data-testid="save-status"
        >
            {move || save_message(&state())}
        </p>
    }
}

/// Where sync stands: "Synced", "3 changes waiting", "Offline", or
/// "Can't reach the relay: …".
#[component]
pub fn SyncBadge() -> impl IntoView {
    let sync = expect_context::<SyncHandle>();
    let problem = move || matches!(sync.phase(), Phase::Unreachable(_));
    view! {
        <p
            class="sync-badge"
            class:problem=problem
            role="status"
            aria-live="polite"
            data-testid="sync-status"
        >
            {move || badge(&sync.phase(), sync.waiting())}
        </p>
    }
}

/// Why the relay keeps refusing this device's changes (not registered, storage full), in
/// words, with what to do. The changes wait on the device meanwhile.
#[component]
pub fn SyncProblem() -> impl IntoView {
    let sync = expect_context::<SyncHandle>();
    view! {
        <Show when=move || sync.problem().is_some()>
            <div class="banner problem" role="status" data-testid="sync-problem">
                <span>{move || sync.problem().map(|p| problem_message(&p))}</span>
                <Show when=move || sync.problem() == Some(Problem::NotRegistered)>
                    <A href="/settings">"Enter the code in Settings"</A>
                </Show>
            </div>
        </Show>
    }
}

/// "A new version is ready — reload", shown until the person chooses to reload.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let update = expect_context::<Update>();
    let repo = expect_context::<Repo>();
    let reloading = RwSignal::new(false);
    view! {
        <Show when=move || update.ready.get()>
            <div class="banner" role="status">
                <span>"A new version of Amplify is ready."</span>
                <button
                    disabled=move || reloading.get()
                    on:click=move |_| {
                        reloading.set(true);
                        spawn_local(update.apply(repo));
                    }
                >
                    {move || if reloading.get() { "Saving, then reloading…" } else { "Reload" }}
                </button>
            </div>
        </Show>
    }
}

/// Shown when the browser lets Amplify keep nothing on the device.
#[component]
pub fn StorageProblem() -> impl IntoView {
    let repo = expect_context::<Repo>();
    move || {
        repo.storage_error.get().map(|e| {
            view! {
                <div class="alert" role="alert">
                    <strong>"Amplify can't save on this device. "</strong>
                    {e.to_string()}
                    ". What you write now will be lost when the page closes."
                </div>
            }
        })
    }
}
