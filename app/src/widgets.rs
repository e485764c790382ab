//! Small pieces the pages share: the save status, the update banner, document health alerts.

use leptos::{prelude::*, task::spawn_local};

use crate::{
    platform,
    repo::{DocHandle, Health, Repo, SaveState},
    update::Update,
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

/// A [`HealthAlert`] for each journal volume that needs one.
#[component]
pub fn JournalAlerts() -> impl IntoView {
    let repo = expect_context::<Repo>();
    move || {
        repo.journal
            .volumes()
            .into_iter()
            .map(|v| view! { <HealthAlert handle=v.handle name=doc_name(&v.handle.id()) /> })
            .collect_view()
    }
}

/// How a person would name the document stored as `id`: "journal for November 2026".
pub fn doc_name(id: &str) -> String {
    match amplify::volume_month(id) {
        Some(month) => format!("journal for {}", platform::month_label(month)),
        None => id.to_owned(),
    }
}

/// What went wrong opening one document, in words, with a way forward.
#[component]
pub fn HealthAlert<M: amplify::Model + 'static>(
    handle: DocHandle<M>,
    #[prop(into)] name: String,
) -> impl IntoView {
    let dismissed = RwSignal::new(false);
    let name = StoredValue::new(name);
    move || {
        match handle.health() {
        Health::Unreadable { reason } => Some(
            view! {
                <div class="alert" role="alert" data-testid="health-alert">
                    <p>
                        <strong>{format!("Your {} could not be read.", name.get_value())}</strong>
                        " The damaged data has been set aside on this device, not deleted: you can download it from Settings. "
                        <span class="detail">{format!("({reason})")}</span>
                    </p>
                    <button on:click=move |_| handle.start_fresh()>
                        {format!("Start a new {}", name.get_value())}
                    </button>
                </div>
            }
            .into_any(),
        ),
        Health::Damaged { reason } if !dismissed.get() => Some(
            view! {
                <div class="alert" role="alert" data-testid="health-alert">
                    <p>
                        <strong>{format!("Some recent edits to your {} could not be read.", name.get_value())}</strong>
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
