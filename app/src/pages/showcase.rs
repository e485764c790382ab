//! The cohort's showcase: every published experiment story, filterable by region and stage.
//! Executives read it; nobody can read a canvas from here.

use amplify::{Published, Stage};
use leptos::prelude::*;

use crate::documents::Repo;

#[component]
pub fn ShowcasePage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let region = RwSignal::new(String::new());
    let stage = RwSignal::new(String::new());
    let cards = Memo::new(move |_| repo.cohort_space().map(|c| repo.published(c)).unwrap_or_default());
    let regions = Memo::new(move |_| {
        let mut r: Vec<String> =
            cards.get().into_iter().map(|c| c.region).filter(|r| !r.is_empty()).collect();
        amplify::sort::ord(&mut r);
        r.dedup();
        r
    });
    let shown = move || {
        cards
            .get()
            .into_iter()
            .filter(|c| region.with(|r| r.is_empty() || *r == c.region))
            .filter(|c| stage.with(|s| s.is_empty() || *s == c.stage.key()))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="page showcase">
            <h1>"Showcase"</h1>
            <Show
                when=move || repo.loaded.get()
                fallback=|| view! { <p role="status">"Opening the showcase…"</p> }
            >
                <Show
                    when=move || repo.cohort_space().is_some()
                    fallback=|| {
                        view! {
                            <p>"The showcase belongs to a cohort: open your invite link to join one."</p>
                        }
                    }
                >
                    <p>
                        "Experiments from across the programme: the smallest possible test, and what it taught."
                    </p>
                    <div class="filters">
                        <label for="filter-region">"Region"</label>
                        <select id="filter-region" on:change=move |ev| region.set(event_target_value(&ev))>
                            <option value="">"All regions"</option>
                            {move || {
                                regions
                                    .get()
                                    .into_iter()
                                    .map(|r| view! { <option value=r.clone()>{r.clone()}</option> })
                                    .collect_view()
                            }}
                        </select>
                        <label for="filter-stage">"Stage"</label>
                        <select id="filter-stage" on:change=move |ev| stage.set(event_target_value(&ev))>
                            <option value="">"All stages"</option>
                            {Stage::ALL
                                .into_iter()
                                .map(|s| view! { <option value=s.key()>{s.label()}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <p role="status" class="count">
                        {move || match shown().len() {
                            0 => "No experiments to show yet.".to_owned(),
                            1 => "1 experiment".to_owned(),
                            n => format!("{n} experiments"),
                        }}
                    </p>
                    <div class="gallery" data-testid="showcase">
                        {move || shown().into_iter().map(|card| view! { <StoryCard card /> }).collect_view()}
                    </div>
                </Show>
            </Show>
        </section>
    }
}

/// One experiment story. In the book (`in_book`), under the person's own page header: it does
/// not name them again.
#[component]
pub fn StoryCard(card: Published, #[prop(optional)] in_book: bool) -> impl IntoView {
    let s = card.story;
    let part = |title: &'static str, text: String| {
        (!text.trim().is_empty()).then(|| {
            view! {
                <h3>{title}</h3>
                <p class="story-text" dir="auto">
                    {text}
                </p>
            }
        })
    };
    view! {
        <article class="card story">
            {if in_book {
                view! { <h3 class="story-heading">{format!("The experiment · {}", card.stage.label())}</h3> }
                    .into_any()
            } else {
                view! {
                    <h2 dir="auto">{card.name}</h2>
                    <p class="meta">
                        {format!(
                            "{} · {}",
                            if card.region.is_empty() { "Region not given" } else { &card.region },
                            card.stage.label(),
                        )}
                    </p>
                }
                    .into_any()
            }}
            {part(
                "The problem",
                format!(
                    "{}{}",
                    s.problem,
                    if s.for_whom.is_empty() { String::new() } else { format!(" (for {})", s.for_whom) },
                ),
            )} {part("The test", s.test)}
            {(!s.evidence.is_empty())
                .then(|| {
                    view! {
                        <h3>"Evidence"</h3>
                        <ul>
                            {s.evidence.into_iter().map(|e| view! { <li dir="auto">{e}</li> }).collect_view()}
                        </ul>
                    }
                })} {part("What we learned", s.learning)} {part("Decision", s.decision.unwrap_or_default())}
            {part("Business impact", s.impact)}
        </article>
    }
}
