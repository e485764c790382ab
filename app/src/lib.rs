//! Amplify's client: a Leptos app that keeps every document on the device (IndexedDB) and works
//! with no network at all. `main.rs` only mounts; everything lives here so tests can use it.

pub mod account;
pub mod journal_book;
pub mod notice;
pub mod pages;
pub mod platform;
pub mod repo;
pub mod roles;
pub mod spaces;
pub mod storage;
pub mod sync;
pub mod update;
pub mod widgets;

use leptos::{ev, prelude::*, task::spawn_local};
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

pub use crate::{
    journal_book::{JournalBook, Volume},
    repo::{DocHandle, Health, Recovery, Repo, SaveState},
    storage::{ChangeKey, Lost, SetAside, Storage, StorageError, Stored},
};
use crate::{
    notice::Notices,
    roles::{Guard, Page, TabBar},
    update::Update,
};

/// The IndexedDB database the app keeps its documents in.
pub const DATABASE: &str = "amplify";

/// Starts the app in the page's `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    platform::Theme::load().apply();
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    let sync = sync::Sync::new();
    provide_context(sync);
    let repo = Repo::start(DATABASE, move |repo| {
        // Profile edits made while the cohort's documents were still loading reach its card now.
        spaces::mirror_profile(repo);
        sync.start(repo);
    });
    provide_context(repo);
    // The spaces this person joined on any of their devices, joined on this one too.
    Effect::new(move |_| {
        if repo.loaded.get() {
            spaces::keep_keyring(repo, sync);
        }
    });
    provide_context(Notices::new());
    let update = Update::register();
    provide_context(update);

    // A phone may kill a hidden tab without warning: save the moment the page is hidden.
    let _ = window_event_listener(ev::pagehide, move |_| spawn_local(repo.flush_all()));
    let _ = window_event_listener(ev::visibilitychange, move |_| {
        let hidden = document().visibility_state() == web_sys::VisibilityState::Hidden;
        if hidden {
            spawn_local(repo.flush_all());
        } else {
            update.check();
        }
    });

    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <A href="/" attr:class="brand">"Amplify"</A>
                <div class="statuses">
                    <widgets::SaveStatus />
                    <widgets::SyncBadge />
                </div>
            </header>
            <widgets::UpdateBanner />
            <widgets::SyncProblem />
            <widgets::StorageProblem />
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/") view=pages::Home />
                    <Route path=path!("/journal") view=|| view! { <Guard page=Page::Journal><pages::Journal /></Guard> } />
                    <Route path=path!("/entry/:id") view=|| view! { <Guard page=Page::Journal><pages::Entry /></Guard> } />
                    <Route path=path!("/experiment") view=|| view! { <Guard page=Page::Experiment><pages::Experiment /></Guard> } />
                    <Route path=path!("/canvas/:space/:person") view=|| view! { <Guard page=Page::Experiment><pages::CanvasPage /></Guard> } />
                    <Route path=path!("/group") view=|| view! { <Guard page=Page::Group><pages::Groups /></Guard> } />
                    <Route path=path!("/group/:space") view=|| view! { <Guard page=Page::Group><pages::GroupPage /></Guard> } />
                    <Route path=path!("/coaching") view=|| view! { <Guard page=Page::Coaching><pages::Coaching /></Guard> } />
                    <Route path=path!("/coachees") view=|| view! { <Guard page=Page::Coachees><pages::Coachees /></Guard> } />
                    <Route path=path!("/coachee/:space") view=|| view! { <Guard page=Page::Coachees><pages::Coachee /></Guard> } />
                    <Route path=path!("/showcase") view=pages::Showcase />
                    <Route path=path!("/book") view=pages::Book />
                    <Route path=path!("/cohort") view=|| view! { <Guard page=Page::Cohort><pages::CohortPage /></Guard> } />
                    <Route path=path!("/join") view=pages::Join />
                    <Route path=path!("/more") view=pages::More />
                    <Route path=path!("/profile") view=pages::Profile />
                    <Route path=path!("/settings") view=pages::Settings />
                </Routes>
            </main>
            <notice::NoticeBar />
            <TabBar />
        </Router>
    }
}
