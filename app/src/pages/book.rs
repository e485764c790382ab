//! The Little Black Book of Talent: every participant's profile and experiment story, made to
//! print (the browser's Print, or Save as PDF): one person per page, no app chrome.

use leptos::prelude::*;

use crate::{
    documents::{BookPerson, Repo},
    pages::showcase::StoryCard,
    platform::warn,
};

#[component]
pub fn BookPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let cohort = Memo::new(move |_| repo.cohort_space());
    let title = move || cohort.get().and_then(|c| repo.cohort(c)).map(|h| h.with(|c| c.name()));
    let people = move || cohort.get().map(|c| repo.book(c)).unwrap_or_default();
    let print = |_| {
        if let Some(window) = web_sys::window()
            && let Err(e) = window.print()
        {
            warn(&format!("the browser would not print: {e:?}"));
        }
    };
    view! {
        <section class="page book">
            <div class="book-cover">
                <h1>"The Little Black Book of Talent"</h1>
                <p class="cohort-name" dir="auto">
                    {move || title().unwrap_or_default()}
                </p>
                <button class="no-print" on:click=print>
                    "Print or save as PDF"
                </button>
            </div>
            <Show
                when=move || repo.loaded.get()
                fallback=|| view! { <p role="status">"Opening the book…"</p> }
            >
                <Show
                    when=move || cohort.get().is_some()
                    fallback=|| {
                        view! { <p>"The book belongs to a cohort: open your invite link to join one."</p> }
                    }
                >
                    {move || {
                        people()
                            .into_iter()
                            .map(|BookPerson { profile, photo, story }| {
                                view! {
                                    <article class="book-page" data-testid="book-page">
                                        <header class="person">
                                            {photo
                                                .map(|src| {
                                                    view! {
                                                        <img
                                                            class="portrait"
                                                            src=src
                                                            alt=format!("Photo of {}", profile.name)
                                                        />
                                                    }
                                                })} <div>
                                                <h2 dir="auto">{profile.name.clone()}</h2>
                                                <p class="meta" dir="auto">
                                                    {[profile.role.clone(), profile.region.clone()]
                                                        .into_iter()
                                                        .filter(|s| !s.is_empty())
                                                        .collect::<Vec<_>>()
                                                        .join(" · ")}
                                                </p>
                                            </div>
                                        </header>
                                        {(!profile.statement.is_empty())
                                            .then(|| {
                                                view! {
                                                    <blockquote dir="auto">
                                                        {profile.statement.clone()}
                                                    </blockquote>
                                                }
                                            })}
                                        {match story {
                                            Some(card) => view! { <StoryCard card /> }.into_any(),
                                            None => {
                                                view! { <p class="meta">"Experiment not published yet."</p> }
                                                    .into_any()
                                            }
                                        }}
                                    </article>
                                }
                            })
                            .collect_view()
                    }}
                </Show>
            </Show>
        </section>
    }
}
