//! What each role sees: the tabs, and which pages it may open. Keys decide what a device can
//! read at all; this decides what the app offers.

use amplify::{CohortRole, Owner};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{account::SpaceKind, documents::Repo};

/// How this person takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppRole {
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

impl AppRole {
    pub fn of(repo: &Repo) -> AppRole {
        repo.with_account(|account| {
            let Some(account) = account else { return AppRole::Solo };
            match account.cohort().and_then(|c| c.role) {
                Some(CohortRole::Participant) => AppRole::Participant,
                Some(CohortRole::Coach) => AppRole::Coach,
                Some(CohortRole::ProgrammeTeam) => AppRole::ProgrammeTeam,
                Some(CohortRole::Executive) => AppRole::Executive,
                None if account.of_kind(SpaceKind::Coaching).any(|s| s.side == Some(Owner::Coach)) => {
                    AppRole::Coach
                }
                None => AppRole::Solo,
            }
        })
    }

    pub fn may(self, page: Page) -> bool {
        use Page::*;
        match self {
            AppRole::Solo | AppRole::Participant => !matches!(page, Coachees),
            AppRole::Coach => matches!(page, Home | Coachees | Showcase | Book | Cohort | Profile | Settings),
            AppRole::ProgrammeTeam => matches!(page, Home | Cohort | Showcase | Book | Profile | Settings),
            AppRole::Executive => matches!(page, Home | Showcase | Book | Profile | Settings),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppRole::Solo | AppRole::Participant => "participant",
            AppRole::Coach => "coach",
            AppRole::ProgrammeTeam => "programme team",
            AppRole::Executive => "executive viewer",
        }
    }

    /// The bottom bar: at most five, the rest under "More".
    pub fn tabs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            AppRole::Solo | AppRole::Participant => &[
                ("/", "Home"),
                ("/journal", "Journal"),
                ("/experiment", "Experiment"),
                ("/group", "Group"),
                ("/more", "More"),
            ],
            AppRole::Coach => {
                &[("/", "Coachees"), ("/showcase", "Showcase"), ("/cohort", "Cohort"), ("/more", "More")]
            }
            AppRole::ProgrammeTeam => {
                &[("/", "Cohort"), ("/showcase", "Showcase"), ("/book", "Black Book"), ("/more", "More")]
            }
            AppRole::Executive => &[("/", "Showcase"), ("/book", "Black Book"), ("/more", "More")],
        }
    }
}

/// The bottom navigation for this person's role.
#[component]
pub fn TabBar() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let role = Memo::new(move |_| AppRole::of(&repo));
    view! {
        <nav class="tabbar" aria-label="Main">
            {move || {
                role.get()
                    .tabs()
                    .iter()
                    .map(|(href, label)| {
                        view! {
                            <A href=*href exact=true>
                                {*label}
                            </A>
                        }
                    })
                    .collect_view()
            }}
        </nav>
    }
}

/// Shows `children` only to roles that may see `page`; others are told so.
#[component]
pub fn Guard(page: Page, children: ChildrenFn) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let role = Memo::new(move |_| AppRole::of(&repo));
    // The journal shows this month while older months and other documents still load; other
    // pages wait for every document, so they never say "nothing yet" about one still loading.
    // A memo: the page is drawn once, not again when the rest has loaded.
    let ready = Memo::new(move |_| match page {
        Page::Journal => repo.loaded.get() || repo.with_account(|a| a.is_some()),
        _ => repo.loaded.get(),
    });
    move || {
        // Until the account is read the role is unknown: decide nothing yet.
        if !ready.get() {
            return view! {
                <p class="page" role="status">
                    "Opening…"
                </p>
            }
            .into_any();
        }
        if role.get().may(page) {
            children().into_any()
        } else {
            view! {
                <section class="page">
                    <h1>"Not available"</h1>
                    <p role="alert">
                        {format!("This page is not available in your role ({}).", role.get().label())}
                    </p>
                    <p>
                        <A href="/">"Go home"</A>
                    </p>
                </section>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::{AppRole, Page};

    const ALL: [Page; 11] = [
        Page::Home,
        Page::Journal,
        Page::Experiment,
        Page::Group,
        Page::Coaching,
        Page::Coachees,
        Page::Showcase,
        Page::Book,
        Page::Cohort,
        Page::Profile,
        Page::Settings,
    ];

    fn pages(role: AppRole) -> Vec<Page> {
        ALL.into_iter().filter(|p| role.may(*p)).collect()
    }

    #[wasm_bindgen_test]
    fn executives_see_the_showcase_and_the_book_but_no_journal_or_coaching() {
        let seen = pages(AppRole::Executive);
        assert!(seen.contains(&Page::Showcase) && seen.contains(&Page::Book));
        for private in [Page::Journal, Page::Coaching, Page::Coachees, Page::Experiment, Page::Group] {
            assert!(!seen.contains(&private), "{private:?}");
        }
    }

    #[wasm_bindgen_test]
    fn participants_have_everything_but_the_coach_dashboard_and_coaches_have_no_journal() {
        assert_eq!(pages(AppRole::Participant), pages(AppRole::Solo));
        assert!(!AppRole::Participant.may(Page::Coachees));
        assert!(AppRole::Participant.may(Page::Journal) && AppRole::Participant.may(Page::Coaching));
        assert!(AppRole::Coach.may(Page::Coachees) && !AppRole::Coach.may(Page::Journal));
        assert!(AppRole::ProgrammeTeam.may(Page::Cohort) && !AppRole::ProgrammeTeam.may(Page::Group));
    }

    #[wasm_bindgen_test]
    fn every_role_has_at_most_five_tabs_and_may_open_each() {
        for role in
            [AppRole::Solo, AppRole::Participant, AppRole::Coach, AppRole::ProgrammeTeam, AppRole::Executive]
        {
            assert!(role.tabs().len() <= 5, "{role:?}");
            assert!(pages(role).contains(&Page::Settings), "{role:?} can always reach Settings");
        }
    }
}
