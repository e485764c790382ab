//! Everything that does not fit in the bottom bar, for this person's role.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    documents::Repo,
    roles::{AppRole, Page},
};

const LINKS: [(Page, &str, &str); 10] = [
    (Page::Journal, "/journal", "Journal"),
    (Page::Experiment, "/experiment", "Your experiment"),
    (Page::Group, "/group", "Home groups"),
    (Page::Coaching, "/coaching", "Coaching"),
    (Page::Coachees, "/coachees", "Your coachees"),
    (Page::Cohort, "/cohort", "Cohort and calendar"),
    (Page::Showcase, "/showcase", "Showcase"),
    (Page::Book, "/book", "Little Black Book"),
    (Page::Profile, "/profile", "Your profile"),
    (Page::Settings, "/settings", "Settings, devices and export"),
];

#[component]
pub fn MorePage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let role = Memo::new(move |_| AppRole::of(&repo));
    view! {
        <section class="page more">
            <h1>"More"</h1>
            <ul class="link-list">
                {move || {
                    LINKS
                        .iter()
                        .filter(|(page, _, _)| role.get().may(*page))
                        .map(|(_, href, label)| {
                            view! {
                                <li>
                                    <A href=*href>{*label}</A>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}
