//! The Little Black Book of Talent: every participant's profile and experiment story, made to
//! print (the browser's Print, or Save as PDF): one person per page, no app chrome.

use amplify::{CohortRole, ProfileFields};
use leptos::prelude::*;

use crate::{
    pages::showcase::{StoryCard, my_cohort, published},
    repo::{Repo, Target},
};

#[component]
pub fn Book() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let cohort = Memo::new(move |_| my_cohort(&repo));
    let title = move || {
        cohort.get().and_then(|c| {
            repo.docs_with_prefix(&format!("cohort/{c}")).into_iter().find_map(|(_, t)| match t {
                Target::Cohort(h) => Some(h.with(|c| c.name())),
                _ => None,
            })
        })
    };
    let people = move || {
        let Some(cohort) = cohort.get() else { return Vec::new() };
        let cards = published(&repo, cohort);
        let members = repo
            .docs_with_prefix(&format!("cohort/{cohort}"))
            .into_iter()
            .find_map(|(_, t)| match t {
                Target::Cohort(h) => Some(h.with(|c| c.members())),
                _ => None,
            })
            .unwrap_or_default();
        let mut people: Vec<(ProfileFields, Option<String>, Option<amplify::Published>)> = repo
            .docs_with_prefix(&format!("person/{cohort}/"))
            .into_iter()
            .filter_map(|(id, t)| {
                let person = id.rsplit('/').next()?.to_owned();
                let participant = members
                    .iter()
                    .find(|m| m.person == person)
                    .is_none_or(|m| m.role == CohortRole::Participant);
                let Target::Profile(h) = t else { return None };
                participant.then(|| {
                    (
                        h.with(|p| p.fields()),
                        h.with(|p| p.photo()),
                        cards.iter().find(|c| c.person == person).cloned(),
                    )
                })
            })
            .collect();
        people.sort_by_key(|a| a.0.name.to_lowercase());
        people
    };
    let print = |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        <section class="page book">
            <div class="book-cover">
                <h1>"The Little Black Book of Talent"</h1>
                <p class="cohort-name" dir="auto">{move || title().unwrap_or_default()}</p>
                <button class="no-print" on:click=print>"Print or save as PDF"</button>
            </div>
            <Show when=move || repo.loaded.get() fallback=|| view! { <p role="status">"Opening the book…"</p> }>
            <Show when=move || cohort.get().is_some() fallback=|| view! { <p>"The book belongs to a cohort: open your invite link to join one."</p> }>
                {move || people().into_iter().map(|(profile, photo, card)| view! {
                    <article class="book-page" data-testid="book-page">
                        <header class="person">
                            {photo.map(|src| view! { <img class="portrait" src=src alt=format!("Photo of {}", profile.name) /> })}
                            <div>
                                <h2 dir="auto">{profile.name.clone()}</h2>
                                <p class="meta" dir="auto">{[profile.role.clone(), profile.region.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}</p>
                            </div>
                        </header>
                        {(!profile.statement.is_empty()).then(|| view! { <blockquote dir="auto">{profile.statement.clone()}</blockquote> })}
                        {match card {
                            Some(card) => view! { <StoryCard card /> }.into_any(),
                            None => view! { <p class="meta">"Experiment not published yet."</p> }.into_any(),
                        }}
                    </article>
                }).collect_view()}
            </Show>
            </Show>
        </section>
    }
}
