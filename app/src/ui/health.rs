//! What went wrong opening a document, in words, with a way forward.

use leptos::prelude::*;

use super::words::doc_name;
use crate::{
    documents::{DocHandle, Health, Recovery, Repo, engine},
    sync::{Phase, SyncHandle},
};

/// A [`HealthAlert`] for each journal volume that needs one.
#[component]
pub fn JournalAlerts() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let volumes = move || {
        repo.journal
            .volumes()
            .into_iter()
            .map(|v| view! { <HealthAlert handle=v.handle name=doc_name(v.handle.id()) /> })
            .collect_view()
    };
    view! {
        <EngineAlert />
        {volumes}
    }
}

/// Says so while the part of the app that reads and writes documents could not be fetched
/// (offline before the app was kept on this device): what shows is the list kept last time,
/// and writing opens once it arrives.
#[component]
pub fn EngineAlert() -> impl IntoView {
    view! {
        <Show when=engine::delayed>
            <p class="alert" role="status" data-testid="engine-delayed">
                "Part of Amplify is still on its way: it could not be fetched just now. "
                "What you see is what this device showed last time; writing opens as soon as it arrives."
            </p>
        </Show>
    }
}

/// What went wrong opening one document, in words, with a way forward. What went wrong
/// technically stays out of it: Settings keeps that, with the set-aside bytes, for support.
#[component]
pub fn HealthAlert<M: amplify::Model + 'static>(
    handle: DocHandle<M>,
    #[prop(into)] name: String,
) -> impl IntoView {
    let sync = expect_context::<SyncHandle>();
    let dismissed = RwSignal::new(false);
    let name = StoredValue::new(name);
    let comes_back = move || match sync.phase() {
        Phase::Connected { .. } => "Amplify is fetching it from the relay now.",
        _ => "Whatever reached the relay will come back from the relay when you are online.",
    };
    move || {
        let name = name.get_value();
        match handle.health() {
            Health::Unreadable { recovery: Recovery::Waiting, .. } => Some(
                view! {
                    <div class="alert" role="alert" data-testid="health-alert">
                        <p>
                            <strong>{format!("Your {name} could not be read.")}</strong>
                            " It has been set aside on this device, not deleted. "
                            {comes_back}
                        </p>
                        <button class="secondary" on:click=move |_| handle.start_fresh()>
                            {format!("Start a new {name} now")}
                        </button>
                    </div>
                }
                .into_any(),
            ),
            Health::Unreadable { recovery: Recovery::NotOnRelay, .. } => Some(
                view! {
                    <div class="alert" role="alert" data-testid="health-alert">
                        <p>
                            <strong>
                                {format!("Your {name} could not be read, and the relay has no copy of it.")}
                            </strong>
                            " The damaged data has been set aside on this device, not deleted: Settings keeps it for support."
                        </p>
                        <button on:click=move |_| {
                            handle.start_fresh()
                        }>{format!("Start a new {name}")}</button>
                    </div>
                }
                .into_any(),
            ),
            Health::Damaged { recovery: Recovery::Waiting, .. } if !dismissed.get() => Some(
                view! {
                    <div class="alert" role="alert" data-testid="health-alert">
                        <p>
                            <strong>{format!("Part of your {name} is not on this device right now.")}</strong>
                            " A saved record could not be read, so what was written after it may be missing too. "
                            "The record has been set aside, not deleted, and you can keep writing. "
                            {comes_back}
                        </p>
                        <button on:click=move |_| dismissed.set(true)>"OK"</button>
                    </div>
                }
                .into_any(),
            ),
            Health::Damaged { recovery: Recovery::NotOnRelay, .. } if !dismissed.get() => Some(
                view! {
                    <div class="alert" role="alert" data-testid="health-alert">
                        <p>
                            <strong>
                                {format!(
                                    "Some edits to your {name} could not be read, and the relay does not have them either.",
                                )}
                            </strong>
                            " What was written on this device after them builds on them: it is kept, but cannot be shown without them. "
                            "The damaged record has been set aside on this device, not deleted: Settings keeps it for support."
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
