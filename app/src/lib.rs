//! Amplify's client: a Leptos app that keeps every document on the device (IndexedDB) and works
//! with no network at all. `main.rs` only mounts; everything lives here so tests can use it.

pub mod account;
pub mod actions;
pub mod documents;
pub mod later;
pub mod pages;
pub mod platform;
pub mod roles;
pub mod storage;
pub mod sync;
pub mod ui;

use leptos::{ev, prelude::*, task::spawn_local};
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

pub use crate::{
    documents::{DocHandle, Health, JournalBook, Recovery, Repo, SaveState, Volume},
    storage::{ChangeKey, Lost, SetAside, Storage, StorageError, Stored},
};
use crate::{
    later::{Later, LaterPage},
    roles::{Guard, Page, TabBar},
    ui::Notices,
    ui::Update,
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
    let sync = sync::SyncHandle::new();
    provide_context(sync);
    let repo = Repo::start(DATABASE, move |repo| {
        // Profile edits made while the cohort's documents were still loading reach its card now,
        // and entry edits made while the shared copies were loading reach the coach.
        actions::mirror_profile(repo);
        actions::refresh_all_shared(&repo);
        sync.start(repo);
    });
    provide_context(repo);
    // The spaces this person joined on any of their devices, joined on this one too.
    Effect::new(move |_| {
        if repo.loaded.get() {
            actions::keep_keyring(repo, sync);
        }
    });
    let notices = Notices::new();
    provide_context(notices);
    provide_context(pages::ListAddress::default());
    // What the sync engine says happened (a removal), as a notice, once each.
    Effect::new(move |seen: Option<usize>| {
        let news = sync.news();
        if let Some(last) = news.last()
            && news.len() > seen.unwrap_or(0)
        {
            notices.show(last.clone());
        }
        news.len()
    });
    // The person's card in the cohort says where they are, and follows when that changes (a
    // coaching document arriving names the coach).
    Effect::new(move |_| {
        if repo.loaded.get() {
            actions::place_me(repo);
        }
    });
    // The person's recovery code reaches their other devices.
    // It follows the keyring: a linked device's own code arriving in a merge is replaced.
    Effect::new(move |_| {
        if repo.loaded.get()
            && let Some(keyring) = repo.keyring()
        {
            keyring.with(|_| ()); // runs again when the keyring changes
            spawn_local(async move { actions::keep_recovery_in_keyring(&repo).await });
        }
    });
    let update = Update::register();
    provide_context(update);

    // A phone may kill a hidden tab without warning: save the moment the page is hidden.
    // Listeners for the life of the app: their handles are never used to remove them.
    // The unsaved edits are also kept in localStorage at once, in case the page is gone before
    // those writes commit; the next start stores them.
    let keep_everything = move || {
        repo.rescue_all();
        spawn_local(repo.flush_all());
    };
    let _forever = window_event_listener(ev::pagehide, move |_| keep_everything());
    let _forever = window_event_listener(ev::visibilitychange, move |_| {
        let hidden = document().visibility_state() == web_sys::VisibilityState::Hidden;
        if hidden {
            keep_everything();
        } else {
            update.check();
        }
    });

    view! {
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    "Amplify"
                </A>
                <div class="statuses">
                    <ui::SaveStatus />
                    <ui::SyncBadge />
                </div>
            </header>
            <ui::UpdateBanner />
            <ui::SyncProblem />
            <ui::StorageProblem />
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/") view=pages::HomePage />
                    <Route
                        path=path!("/journal")
                        view=|| {
                            view! {
                                <Guard page=Page::Journal>
                                    <pages::JournalPage />
                                </Guard>
                            }
                        }
                    />
                    <Route
                        path=path!("/entry/:id")
                        view=|| {
                            view! {
                                <Guard page=Page::Journal>
                                    <pages::EntryPage />
                                </Guard>
                            }
                        }
                    />
                    <Route
                        path=path!("/experiment")
                        view=|| {
                            view! {
                                <Guard page=Page::Experiment>
                                    <LaterPage page=Later::Experiment />
                                </Guard>
                            }
                        }
                    />
                    <Route
                        path=path!("/canvas/:space/:person")
                        view=|| {
                            view! {
                                <Guard page=Page::Experiment>
                                    <LaterPage page=Later::Canvas />
                                </Guard>
                            }
                        }
                    />
                    <Route
                        path=path!("/group")
                        view=|| {
                            view! {
                                <Guard page=Page::Group>
                                    <LaterPage page=Later::Groups />
                                </Guard>
                            }
                        }
                    />
                    <Route
                        path=path!("/group/:space")
                        view=|| {
                            view! {
                                <Guard page=Page::Group>
                                    <LaterPage page=Later::Group />
                                </Guard>
                            }
                        }
                    />
                    <Route
                        path=path!("/coaching")
                        view=|| {
                            view! {
                                <Guard page=Page::Coaching>
                                    <LaterPage page=Later::Coaching />
                                </Guard>
                            }
                        }
                    />
                    <Route
                        path=path!("/coachees")
                        view=|| {
                            view! {
                                <Guard page=Page::Coachees>
                                    <LaterPage page=Later::Coachees />
                                </Guard>
                            }
                        }
                    />
                    <Route
                        path=path!("/coachee/:space")
                        view=|| {
                            view! {
                                <Guard page=Page::Coachees>
                                    <LaterPage page=Later::Coachee />
                                </Guard>
                            }
                        }
                    />
                    <Route path=path!("/showcase") view=|| view! { <LaterPage page=Later::Showcase /> } />
                    <Route path=path!("/book") view=|| view! { <LaterPage page=Later::Book /> } />
                    <Route
                        path=path!("/cohort")
                        view=|| {
                            view! {
                                <Guard page=Page::Cohort>
                                    <LaterPage page=Later::Cohort />
                                </Guard>
                            }
                        }
                    />
                    <Route path=path!("/join") view=pages::JoinPage />
                    <Route path=path!("/more") view=pages::MorePage />
                    <Route path=path!("/profile") view=|| view! { <LaterPage page=Later::Profile /> } />
                    <Route path=path!("/settings") view=|| view! { <LaterPage page=Later::Settings /> } />
                </Routes>
            </main>
            <ui::NoticeBar />
            <TabBar />
        </Router>
    }
}
