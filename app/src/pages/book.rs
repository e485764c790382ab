//! The Little Black Book of Talent: the participants who chose to be in it, with their profile
//! and experiment story, grouped by region, made to print (the browser's Print, or Save as
//! PDF): a cover with the cohort and its dates, a contents page, one person per page, page
//! numbers in the margin, no app chrome.

use amplify::Date;
use leptos::prelude::*;

use crate::{
    documents::{BookPerson, Repo},
    pages::showcase::StoryCard,
    platform::{self, warn},
};

/// Pages before the first person's: the cover and the contents.
const FRONT_PAGES: usize = 2;

/// The heading people are grouped under.
fn region_of(person: &BookPerson) -> String {
    match person.profile.region.trim() {
        "" => "Region not given".to_owned(),
        region => region.to_owned(),
    }
}

/// "2 March 2026 – 30 September 2026", in the reader's format; what is known of it.
fn dates_line(starts: &str, ends: &str) -> Option<String> {
    let date = |s: &str| Date::parse(s).map(platform::long_date);
    match (date(starts), date(ends)) {
        (Some(s), Some(e)) => Some(format!("{s} – {e}")),
        (Some(s), None) => Some(format!("From {s}")),
        (None, Some(e)) => Some(format!("Until {e}")),
        (None, None) => None,
    }
}

#[component]
pub fn BookPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let cohort = Memo::new(move |_| repo.cohort_space());
    let handle = move || cohort.get().and_then(|c| repo.cohort(c));
    let title = move || handle().map(|h| h.with(|c| c.name())).unwrap_or_default();
    let dates = move || handle().and_then(|h| h.with(|c| dates_line(&c.dates().0, &c.dates().1)));
    let people = Memo::new(move |_| cohort.get().map(|c| repo.book(c)).unwrap_or_default());
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
                    {title}
                </p>
                <p class="cohort-dates">{dates}</p>
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
                    <Show
                        when=move || !people.with(Vec::is_empty)
                        fallback=|| {
                            view! {
                                <p>
                                    "Nobody is in the book yet: participants choose to be in it on their profile."
                                </p>
                            }
                        }
                    >
                        <Contents people />
                        {move || {
                            people
                                .get()
                                .into_iter()
                                .enumerate()
                                .map(|(i, person)| view! { <PersonPage person number=i + 1 + FRONT_PAGES /> })
                                .collect_view()
                        }}
                    </Show>
                </Show>
            </Show>
        </section>
    }
}

/// The contents: each region, and under it each person with their page.
#[component]
fn Contents(people: Memo<Vec<BookPerson>>) -> impl IntoView {
    let regions = move || {
        let mut regions: Vec<(String, Vec<(String, usize)>)> = Vec::new();
        for (i, person) in people.get().iter().enumerate() {
            let entry = (person.profile.name.clone(), i + 1 + FRONT_PAGES);
            match regions.last_mut() {
                Some((region, names)) if *region == region_of(person) => names.push(entry),
                _ => regions.push((region_of(person), vec![entry])),
            }
        }
        regions
    };
    view! {
        <nav class="book-contents" aria-labelledby="contents-heading" data-testid="book-contents">
            <h2 id="contents-heading">"Contents"</h2>
            {move || {
                regions()
                    .into_iter()
                    .map(|(region, names)| {
                        view! {
                            <h3 dir="auto">{region}</h3>
                            <ol>
                                {names
                                    .into_iter()
                                    .map(|(name, page)| {
                                        view! {
                                            <li>
                                                <a href=format!("#page-{page}") dir="auto">
                                                    {name}
                                                </a>
                                                <span class="page-number">{page.to_string()}</span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        }
                    })
                    .collect_view()
            }}
        </nav>
    }
}

/// One person's page: photo, name, role, region and home group, their statement, their story.
#[component]
fn PersonPage(person: BookPerson, number: usize) -> impl IntoView {
    let BookPerson { profile, photo, group, story } = person;
    let meta = [
        profile.role.clone(),
        profile.region.clone(),
        group.map(|g| format!("Home group {g}")).unwrap_or_default(),
    ]
    .into_iter()
    .filter(|s| !s.trim().is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <article class="book-page" id=format!("page-{number}") data-testid="book-page">
            <header class="person">
                {photo
                    .map(|src| {
                        view! { <img class="portrait" src=src alt=format!("Photo of {}", profile.name) /> }
                    })} <div>
                    <h2 dir="auto">{profile.name.clone()}</h2>
                    <p class="meta" dir="auto">
                        {meta}
                    </p>
                </div>
            </header>
            {(!profile.statement.is_empty())
                .then(|| {
                    view! { <blockquote dir="auto">{profile.statement.clone()}</blockquote> }
                })}
            {match story {
                Some(card) => view! { <StoryCard card in_book=true /> }.into_any(),
                None => view! { <p class="meta">"Experiment not published yet."</p> }.into_any(),
            }}
        </article>
    }
}
