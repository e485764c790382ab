//! The journal: today's prompt, search, and every entry grouped by day, newest first.

use amplify::{Entry, Month, Query, prompt_of_the_day};
use leptos::{leptos_dom::helpers::TimeoutHandle, prelude::*};
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    documents::{Repo, drafts},
    platform,
    ui::{JournalAlerts, words},
};

/// How many entries are drawn at first; more on request, so a long journal opens fast.
const PAGE: usize = 40;
/// Tag chips shown above the list before "All N tags" (the most used; a tag in the search shows
/// too): a journal's tags grow for months, and the list must stay in sight.
const TAGS_SHOWN: usize = 6;

/// The list follows the search box this long after the last keystroke.
const SEARCH_DELAY: std::time::Duration = std::time::Duration::from_millis(150);

/// Where the journal list was last left (its search and month), for an entry's way back.
#[derive(Clone, Copy)]
pub struct ListAddress(pub RwSignal<String>);

impl Default for ListAddress {
    fn default() -> ListAddress {
        ListAddress(RwSignal::new("/journal".to_owned()))
    }
}

#[component]
pub fn JournalPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let journal = repo.journal;
    let navigate = use_navigate();
    let query_map = use_query_map();
    // What is in the box, at once; and what the list is filtered by, a moment after typing
    // stops: a keystroke redraws the box, not five hundred cards.
    let typed = RwSignal::new(query_map.with_untracked(|q| q.get("q").unwrap_or_default()));
    let search = RwSignal::new(typed.get_untracked());
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let search_soon = move |text: String| {
        typed.set(text);
        if let Some(timer) = pending.get_value() {
            timer.clear();
        }
        // The person may have left the page (tapped an entry) before the timer fires.
        let follow = move || {
            if let Some(text) = typed.try_get_untracked() {
                let _left_the_page = search.try_set(text);
            }
        };
        match set_timeout_with_handle(follow, SEARCH_DELAY) {
            Ok(timer) => pending.set_value(Some(timer)),
            // No timer to be had: the list follows at once.
            Err(_) => search.set(typed.get_untracked()),
        }
    };
    let shown = RwSignal::new(PAGE);
    // One month alone, when the person jumps to it (kept in the address, like the search).
    let month = RwSignal::new(query_map.with_untracked(|q| q.get("m").and_then(|m| Month::parse(&m))));
    let months = Memo::new(move |_| journal.months());
    let today = platform::now().local_date();
    let daily = prompt_of_the_day(today);

    // While the journal is still opening (automerge on its way, this month being read), an entry
    // starts as a draft that becomes an entry once it can (see `drafts`): writing never waits.
    let new_entry = move |prompt: Option<&'static str>| {
        let id = match journal.add_entry(platform::now(), prompt) {
            Some(id) => id,
            None if journal.drafting() => drafts::start(platform::now(), prompt),
            None => return,
        };
        navigate(&format!("/entry/{id}"), NavigateOptions::default());
    };
    let new_entry_free = new_entry.clone();
    let can_write = move || journal.can_write() || journal.drafting();

    let query = Memo::new(move |_| Query::parse(&search.get()));
    // Only the entries the list shows are taken out of the volumes; the rest are counted.
    let listing = Memo::new(move |_| journal.listing(&query.get(), month.get(), shown.get()));
    let total = move || listing.with(|l| l.total);
    let tags = Memo::new(move |_| journal.tags());
    let all_tags = RwSignal::new(false);

    // For the benchmarks (./x bench): when this month is on screen, and the whole journal.
    mark_once("journal-first-month", move || total() > 0 || !journal.is_loading());
    mark_once("journal-visible", move || !journal.is_loading());

    // Keep the search and the month in the address, so Back from an entry returns to the same
    // list.
    Effect::new(move |_| {
        let q = search.get();
        let mut params = Vec::new();
        if !q.is_empty() {
            params.push(format!("q={}", js_sys::encode_uri_component(&q)));
        }
        if let Some(m) = month.get() {
            params.push(format!("m={m}"));
        }
        if let Some(window) = web_sys::window() {
            let url = if params.is_empty() {
                "/journal".to_owned()
            } else {
                format!("/journal?{}", params.join("&"))
            };
            if let Some(ListAddress(address)) = use_context::<ListAddress>() {
                address.set(url.clone());
            }
            if let Ok(history) = window.history() {
                // Only the address bar's query is stale if this fails.
                let _stale = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
            }
        }
    });

    let toggle_tag = move |tag: String| {
        let token = format!("#{tag}");
        if let Some(timer) = pending.get_value() {
            timer.clear();
        }
        search.set(typed.get_untracked());
        search.update(|s| {
            let mut tokens: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
            match tokens.iter().position(|t| *t == token) {
                Some(i) => {
                    tokens.remove(i);
                }
                None => tokens.push(token),
            }
            *s = tokens.join(" ");
        });
        typed.set(search.get_untracked());
    };

    view! {
        <section class="page journal">
            <h1 class="visually-hidden">"Journal"</h1>
            <JournalAlerts />
            <section class="card today" aria-labelledby="today-heading">
                <h2 id="today-heading">"Today's prompt"</h2>
                <p class="prompt">{daily}</p>
                <div class="actions">
                    <button disabled=move || !can_write() on:click=move |_| new_entry(Some(daily))>
                        "Write about this"
                    </button>
                    <button
                        class="secondary"
                        disabled=move || !can_write()
                        on:click=move |_| new_entry_free(None)
                    >
                        "New entry"
                    </button>
                </div>
            </section>

            <MonthGlance />

            // Search and the month side by side on a phone: with months of entries, the list
            // starts a row higher.
            <div class="finders">
                <search class="search">
                    <label for="search">"Search entries"</label>
                    <input
                        id="search"
                        type="search"
                        dir="auto"
                        placeholder="Words, #tags"
                        prop:value=move || typed.get()
                        on:input=move |ev| {
                            search_soon(event_target_value(&ev));
                            if shown.get_untracked() != PAGE {
                                shown.set(PAGE);
                            }
                        }
                    />
                </search>
                <Show when=move || { months.with(|m| m.len() > 1) || month.with(Option::is_some) }>
                    <div class="jump">
                        <label for="jump">"Jump to a month"</label>
                        <select
                            id="jump"
                            on:change=move |ev| {
                                month.set(Month::parse(&event_target_value(&ev)));
                                shown.set(PAGE);
                            }
                        >
                            <option value="" selected=move || month.with(Option::is_none)>
                                "All months"
                            </option>
                            {move || {
                                months
                                    .get()
                                    .into_iter()
                                    .map(|(m, n)| {
                                        let label = format!(
                                            "{} ({})",
                                            platform::month_label(m),
                                            words::count(n, "entry", "entries"),
                                        );
                                        view! {
                                            <option
                                                value=m.to_string()
                                                selected=move || month.get() == Some(m)
                                            >
                                                {label}
                                            </option>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </select>
                    </div>
                </Show>
            </div>
            <Show when=move || !tags.with(Vec::is_empty)>
                <div class="tags" role="group" aria-label="Filter by tag">
                    {move || {
                        let every = all_tags.get();
                        tags.get()
                            .into_iter()
                            .enumerate()
                            .filter(|(i, (tag, _))| {
                                every || *i < TAGS_SHOWN || query.with(|q| q.tags.contains(tag))
                            })
                            .map(|(_, (tag, count))| {
                                let pressed = {
                                    let tag = tag.clone();
                                    move || query.with(|q| q.tags.contains(&tag))
                                };
                                let name = tag.clone();
                                let label = format!("#{tag} ({count})");
                                // The tag in its own direction: "#تعلم (1)", not "#(1) تعلم". The
                                // label keeps the name one run of text for screen readers.
                                view! {
                                    <button
                                        class="chip"
                                        aria-label=label
                                        aria-pressed=move || pressed().to_string()
                                        on:click=move |_| toggle_tag(tag.clone())
                                    >
                                        "#"
                                        <bdi>{name}</bdi>
                                        {format!(" ({count})")}
                                    </button>
                                }
                            })
                            .collect_view()
                    }}
                    <Show when=move || tags.with(|t| t.len() > TAGS_SHOWN)>
                        <button
                            class="chip more-tags"
                            aria-expanded=move || all_tags.get().to_string()
                            on:click=move |_| all_tags.update(|a| *a = !*a)
                        >
                            {move || {
                                if all_tags.get() {
                                    "Fewer tags".to_owned()
                                } else {
                                    format!("All {} tags", tags.with(Vec::len))
                                }
                            }}
                        </button>
                    </Show>
                </div>
            </Show>

            <p class="count" role="status">
                {move || {
                    let count = match (total(), query.with(Query::is_empty)) {
                        (0, true) if journal.is_loading() => return "Opening your journal…".to_owned(),
                        (0, true) => "No entries yet. Your first one is a tap away.".to_owned(),
                        (0, false) => "No entries match.".to_owned(),
                        (1, _) => "1 entry".to_owned(),
                        (n, _) => format!("{n} entries"),
                    };
                    if journal.is_loading() {
                        format!("{count} so far, opening older months…")
                    } else {
                        count
                    }
                }}
            </p>

            <div class="days" data-testid="entries">
                {move || {
                    let mut budget = shown.get();
                    listing
                        .get()
                        .days
                        .into_iter()
                        .map_while(|day| {
                            if budget == 0 {
                                return None;
                            }
                            let take = day.entries.len().min(budget);
                            budget -= take;
                            let label = platform::day_label(day.date, today);
                            let heading = format!("day-{}", day.date);
                            Some(
                                view! {
                                    <section class="day" aria-labelledby=heading.clone()>
                                        <h2 id=heading.clone()>{label}</h2>
                                        <ul class="entries">
                                            {day
                                                .entries
                                                .into_iter()
                                                .take(take)
                                                .map(|e| view! { <EntryCard entry=e /> })
                                                .collect_view()}
                                        </ul>
                                    </section>
                                },
                            )
                        })
                        .collect_view()
                }}
            </div>
            <Show when=move || { total() > shown.get() }>
                <button class="secondary wide" on:click=move |_| shown.update(|n| *n += PAGE)>
                    {move || format!("Show older entries ({} more)", total() - shown.get())}
                </button>
            </Show>
        </section>
    }
}

/// This month at a glance: on which days something was written, and a run of days if there is
/// one. It says what is, never what is missing.
#[component]
fn MonthGlance() -> impl IntoView {
    let journal = expect_context::<Repo>().journal;
    let today = platform::now().local_date();
    let month = today.month();
    let written = Memo::new(move |_| {
        let mut days: Vec<u8> = journal.days_written(month).into_iter().filter(|&d| d <= today.day).collect();
        days.sort_unstable();
        days.dedup();
        days
    });
    let summary = move || {
        written.with(|days| {
            if days.is_empty() {
                return format!("A new page for {}.", platform::month_label(month));
            }
            let mut line = format!(
                "You wrote on {} in {}",
                words::count(days.len(), "day", "days"),
                platform::month_label(month)
            );
            // A run that reaches today, or yesterday (today is not over yet).
            let mut run = 0;
            let mut day = if days.contains(&today.day) { today.day } else { today.day.saturating_sub(1) };
            while day > 0 && days.contains(&day) {
                run += 1;
                day -= 1;
            }
            if run >= 2 {
                line.push_str(&format!(" · {run} days in a row"));
            }
            line.push('.');
            line
        })
    };
    view! {
        <section class="glance" aria-label="This month">
            <p data-testid="month-glance">{summary}</p>
            <ol class="glance-days" aria-hidden="true">
                {move || {
                    (1..=today.day)
                        .map(|d| {
                            let done = written.with(|w| w.contains(&d));
                            view! { <li class:written=done class:today=d == today.day></li> }
                        })
                        .collect_view()
                }}
            </ol>
        </section>
    }
}

/// Leaves a performance mark named `name` the first time `reached` is true.
fn mark_once(name: &'static str, reached: impl Fn() -> bool + 'static) {
    Effect::new(move |marked: Option<bool>| {
        let done = marked.unwrap_or(false) || reached();
        if done && marked != Some(true) {
            platform::mark(name);
        }
        done
    });
}

#[component]
fn EntryCard(entry: Entry) -> impl IntoView {
    let excerpt: String = entry.body.chars().take(160).collect();
    let show_excerpt = entry.prompt.is_some() || entry.body.lines().nth(1).is_some();
    let energy =
        entry.energy.map(|e| view! { <span class="energy">{format!("Energy: {}", e.label())}</span> });
    let tags = (!entry.tags.is_empty()).then(|| {
        view! {
            <span class="entry-tags">
                {entry.tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" ")}
            </span>
        }
    });
    view! {
        <li>
            <A href=format!("/entry/{}", entry.id) attr:class="entry-card">
                <span class="time">{platform::clock(entry.written)}</span>
                <span class="title" dir="auto">
                    {entry.title()}
                </span>
                {show_excerpt
                    .then(|| {
                        view! {
                            <span class="excerpt" dir="auto">
                                {excerpt}
                            </span>
                        }
                    })}
                <span class="meta">{energy} {tags}</span>
            </A>
        </li>
    }
}
