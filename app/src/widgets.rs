//! Small pieces the pages share: the save status, the update banner, document health alerts.

use leptos::{prelude::*, task::spawn_local};

use crate::{
    repo::{DocHandle, Health, Repo, SaveState},
    update::Update,
};

/// "Saved on this device", or why not: one line for every document, announced politely.
#[component]
pub fn SaveStatus() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let state = move || {
        let states = [repo.journal.save_state(), repo.profile.save_state()];
        let failed = states
            .iter()
            .find(|s| matches!(s, SaveState::Failed(_)))
            .cloned();
        let pending = states.iter().any(|s| *s == SaveState::Pending);
        failed.unwrap_or(if pending {
            SaveState::Pending
        } else {
            SaveState::Saved
        })
    };
    view! {
        <p
            class="save-status"
            class:failed=move || matches!(state(), SaveState::Failed(_))
            role="status"
            aria-live="polite"
            data-testid="save-status"
        >
            {move || state().message()}
        </p>
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

/// What went wrong opening one document, in words, with a way forward.
#[component]
pub fn HealthAlert<M: amplify::Model + 'static>(
    handle: DocHandle<M>,
    name: &'static str,
) -> impl IntoView {
    let dismissed = RwSignal::new(false);
    move || {
        match handle.health() {
        Health::Unreadable { reason } => Some(
            view! {
                <div class="alert" role="alert" data-testid="health-alert">
                    <p>
                        <strong>{format!("Your {name} could not be read.")}</strong>
                        " The damaged data has been set aside on this device, not deleted: you can download it from Settings. "
                        <span class="detail">{format!("({reason})")}</span>
                    </p>
                    <button on:click=move |_| handle.start_fresh()>
                        {format!("Start a new {name}")}
                    </button>
                </div>
            }
            .into_any(),
        ),
        Health::Damaged { reason } if !dismissed.get() => Some(
            view! {
                <div class="alert" role="alert" data-testid="health-alert">
                    <p>
                        <strong>{format!("Some recent edits to your {name} could not be read.")}</strong>
                        " They have been set aside on this device; everything else is here. "
                        <span class="detail">{format!("({reason})")}</span>
                    </p>
                    <button on:click=move |_| dismissed.set(true)>"OK"</button>
                </div>
            }
            .into_any(),
        ),
        _ => None,
    }
    }
}

/// Whether a document can be written to now.
pub fn writable(health: &Health) -> bool {
    matches!(health, Health::Ready | Health::Damaged { .. })
}
