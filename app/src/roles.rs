//! What each role sees: the tabs, and which pages it may open. Keys decide what a device can
//! read at all; this decides what the app offers.

use amplify::{CohortRole, Owner};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{account::SpaceKind, documents::Repo};

/// How this person takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Not in a cohort yet: a participant on their own.
    Solo,
    Participant,
    Coach,
    ProgrammeTeam,
    Executive,
}

/// The pages of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Home,
    Journal,
    Experiment,
    Group,
    Coaching,
    Coachees,
    Showcase,
    Book,
    Cohort,
    Profile,
    Settings,
}

impl Role {
    pub fn of(repo: &Repo) -> Role {
        repo.with_account(|account| {
            let Some(account) = account else { return Role::Solo };
            match account.cohort().and_then(|c| c.role) {
                Some(CohortRole::Participant) => Role::Participant,
                Some(CohortRole::Coach) => Role::Coach,
                Some(CohortRole::ProgrammeTeam) => Role::ProgrammeTeam,
                Some(CohortRole::Executive) => Role::Executive,
                None if account.of_kind(SpaceKind::Coaching).any(|s| s.side == Some(Owner::Coach)) => {
                    Role::Coach
                }
                None => Role::Solo,
            }
        })
    }

    pub fn may(self, page: Page) -> bool {
        use Page::*;
        match self {
            Role::Solo | Role::Participant => !matches!(page, Coachees),
            Role::Coach => matches!(page, Home | Coachees | Showcase | Book | Cohort | Profile | Settings),
            Role::ProgrammeTeam => matches!(page, Home | Cohort | Showcase | Book | Profile | Settings),
            Role::Executive => matches!(page, Home | Showcase | Book | Profile | Settings),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Solo | Role::Participant => "participant",
            Role::Coach => "coach",
            Role::ProgrammeTeam => "programme team",
            Role::Executive => "executive viewer",
        }
    }

    /// The bottom bar: at most five, the rest under "More".
    pub fn tabs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Role::Solo | Role::Participant => &[
                ("/", "Home"),
                ("/journal", "Journal"),
                ("/experiment", "Experiment"),
                ("/group", "Group"),
                ("/more", "More"),
            ],
            Role::Coach => {
                &[("/", "Coachees"), ("/showcase", "Showcase"), ("/cohort", "Cohort"), ("/more", "More")]
            }
            Role::ProgrammeTeam => {
                &[("/", "Cohort"), ("/showcase", "Showcase"), ("/book", "Black Book"), ("/more", "More")]
            }
            Role::Executive => &[("/", "Showcase"), ("/book", "Black Book"), ("/more", "More")],
        }
    }
}

/// The bottom navigation for this person's role.
#[component]
pub fn TabBar() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let role = Memo::new(move |_| Role::of(&repo));
    view! {
        <nav class="tabbar" aria-label="Main">
            {move || {
                role.get()
                    .tabs()
                    .iter()
                    .map(|(href, label)| view! { <A href=*href exact=true>{*label}</A> })
                    .collect_view()
            }}
        </nav>
    }
}

/// Shows `children` only to roles that may see `page`; others are told so.
#[component]
pub fn Guard(page: Page, children: ChildrenFn) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let role = Memo::new(move |_| Role::of(&repo));
    move || {
        // Until the account is read the role is unknown: decide nothing yet.
        if !repo.loaded.get() {
            return view! { <p class="page" role="status">"Opening…"</p> }.into_any();
        }
        if role.get().may(page) {
            children().into_any()
        } else {
            view! {
                <section class="page">
                    <h1>"Not available"</h1>
                    <p role="alert">{format!("This page is not available in your role ({}).", role.get().label())}</p>
                    <p><A href="/">"Go home"</A></p>
                </section>
            }
            .into_any()
        }
    }
}
