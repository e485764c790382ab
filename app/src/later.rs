//! Pages that are not on the first screen, loaded when first opened.
//!
//! With the `split` feature (Trunk's release build), the code only these pages use moves out of
//! the first download into a chunk of its own (`scripts/linker/wasm-ld` splits it off,
//! `scripts/chunks.sh` ships it). Without it (tests, debug builds) they are drawn at once, as any
//! page. The journal, an entry, home, joining and "More" stay in the first download: they are
//! what a phone opens on.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::{pages, platform::NotLoaded};

/// A page drawn from the later chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Later {
    Experiment,
    Canvas,
    Groups,
    Group,
    Coaching,
    Coachees,
    Coachee,
    Showcase,
    Book,
    Cohort,
    Profile,
    Settings,
}

#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(later, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn draw(page: Later) -> Result<AnyView, NotLoaded> {
    Ok(match page {
        Later::Experiment => view! { <pages::ExperimentPage /> }.into_any(),
        Later::Canvas => view! { <pages::CanvasPage /> }.into_any(),
        Later::Groups => view! { <pages::GroupsPage /> }.into_any(),
        Later::Group => view! { <pages::GroupPage /> }.into_any(),
        Later::Coaching => view! { <pages::CoachingPage /> }.into_any(),
        Later::Coachees => view! { <pages::CoacheesPage /> }.into_any(),
        Later::Coachee => view! { <pages::CoacheePage /> }.into_any(),
        Later::Showcase => view! { <pages::ShowcasePage /> }.into_any(),
        Later::Book => view! { <pages::BookPage /> }.into_any(),
        Later::Cohort => view! { <pages::CohortPage /> }.into_any(),
        Later::Profile => view! { <pages::ProfilePage /> }.into_any(),
        Later::Settings => view! { <pages::SettingsPage /> }.into_any(),
    })
}

async fn load(page: Later) -> Result<AnyView, NotLoaded> {
    // Every later page reads or writes documents: not before automerge is here.
    crate::documents::engine::ready().await;
    #[cfg(feature = "split")]
    {
        draw(page).await
    }
    #[cfg(not(feature = "split"))]
    {
        draw(page)
    }
}

/// Draws `page` once its code is here; "Opening…" until then, and a way to try again if it could
/// not be fetched.
///
/// A `Transition`, not a `Suspense`: the page's own resources (records read from storage, say)
/// register with the nearest boundary, and a `Suspense` would hide the whole page behind
/// "Opening…" each time one of them reloads, losing a click or a half-done confirmation. A
/// `Transition` shows the fallback only until the page first appears.
#[component]
pub fn LaterPage(page: Later) -> impl IntoView {
    let attempt = RwSignal::new(0_u32);
    let drawn = move || {
        attempt.track();
        Suspend::new(SendWrapper::new(async move {
            load(page).await.unwrap_or_else(|NotLoaded| {
                view! {
                    <section class="not-loaded">
                        <p role="alert">
                            "This page could not be fetched. Your journal and everything else on this device are fine."
                        </p>
                        <button type="button" on:click=move |_| attempt.update(|n| *n += 1)>
                            "Try again"
                        </button>
                    </section>
                }
                    .into_any()
            })
        }))
    };
    view! {
        <Transition fallback=|| {
            view! {
                <p role="status">"Opening…"</p>
                <crate::ui::EngineAlert />
            }
        }>{drawn}</Transition>
    }
}
