//! Home: what matters today, by role. A participant sees today's prompt, their experiment,
//! their group, the actions due and what comes next in the programme; a coach their coachees;
//! the programme team the cohort; an executive the showcase.

use amplify::{Owner, prompt_of_the_day};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, components::A, hooks::use_navigate};

use crate::{
    actions,
    documents::Repo,
    later::{Later, LaterPage},
    pages::welcome::GettingStarted,
    platform,
    roles::AppRole,
};

#[component]
pub fn HomePage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let role = Memo::new(move |_| AppRole::of(&repo));
    move || match role.get() {
        AppRole::Coach => view! { <LaterPage page=Later::Coachees /> }.into_any(),
        AppRole::ProgrammeTeam => view! { <LaterPage page=Later::Cohort /> }.into_any(),
        AppRole::Executive => view! { <LaterPage page=Later::Showcase /> }.into_any(),
        AppRole::Participant | AppRole::Solo => view! { <ParticipantHome /> }.into_any(),
    }
}

#[component]
fn ParticipantHome() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let navigate = use_navigate();
    let today = platform::now().local_date();
    let daily = prompt_of_the_day(today);
    let name = move || actions::my_name(&repo);
    let write = move |_| {
        if let Some(id) = repo.journal.add_entry(platform::now(), Some(daily)) {
            navigate(&format!("/entry/{id}"), NavigateOptions::default());
        }
    };
    let group = move || repo.groups().into_iter().next();
    let experiment = move || {
        let (space, _) = group()?;
        let person = repo.person()?;
        // Only a canvas this device holds: asking for it must not start one.
        let id = amplify::DocId::Canvas(space, person);
        let canvas = repo.handles_in::<amplify::Canvas>(space).into_iter().find(|(doc, _)| *doc == id);
        let stage = canvas.map_or("Not started", |(_, h)| h.with(|c| c.stage().label()));
        Some((format!("/canvas/{space}/{person}"), stage))
    };
    let actions = move || {
        let mut due: Vec<(amplify::SpaceId, amplify::Action, String)> = Vec::new();
        for space in actions::my_coaches(&repo) {
            if let Some(coaching) = repo.handle::<amplify::Coaching>(amplify::DocId::Coaching(space)) {
                let coach = coaching.with(|c| c.pair().coach_name);
                due.extend(
                    coaching
                        .with(|c| c.actions())
                        .into_iter()
                        .filter(|a| a.owner == Owner::Participant && !a.done)
                        .map(|a| (space, a, coach.clone())),
                );
            }
        }
        amplify::sort::by(&mut due, |a, b| {
            (a.1.due.is_empty(), &a.1.due).cmp(&(b.1.due.is_empty(), &b.1.due))
        });
        due
    };
    let next_events = move || {
        let cohort = repo.with_account(|a| a.and_then(|a| a.cohort()).map(|c| c.id()))?;
        let doc = repo.cohort(cohort)?;
        let today = today.to_string();
        Some(doc.with(|c| c.calendar()).into_iter().filter(|e| e.ends >= today).take(3).collect::<Vec<_>>())
    };
    view! {
        <section class="page home">
            <h1 dir="auto">
                {move || match name() {
                    n if n.is_empty() => "Welcome to Amplify".to_owned(),
                    n => format!("Hello, {n}"),
                }}
            </h1>
            <GettingStarted />
            <section class="card today" aria-labelledby="home-prompt">
                <h2 id="home-prompt">"Today's prompt"</h2>
                <p class="prompt">{daily}</p>
                <div class="actions">
                    <button disabled=move || !repo.journal.can_write() on:click=write>
                        "Write about this"
                    </button>
                    <A href="/journal" attr:class="button secondary">
                        "Open your journal"
                    </A>
                </div>
            </section>
            <section class="card" aria-labelledby="home-experiment">
                <h2 id="home-experiment">"Your experiment"</h2>
                {move || match experiment() {
                    Some((href, stage)) => {
                        view! {
                            <p>{format!("Stage: {stage}")}</p>
                            <A href=href attr:class="button">
                                "Open your canvas"
                            </A>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <p>"Your experiment lives with your home group, who help you shape it."</p>
                            <A href="/group" attr:class="button secondary">
                                "Find your home group"
                            </A>
                        }
                            .into_any()
                    }
                }}
            </section>
            {move || {
                group()
                    .map(|(space, handle)| {
                        view! {
                            <section class="card" aria-labelledby="home-group">
                                <h2 id="home-group">"Your home group"</h2>
                                <p dir="auto">
                                    {move || {
                                        format!(
                                            "{} · {}",
                                            handle.with(|g| g.name()),
                                            crate::ui::words::count(
                                                handle.with(|g| g.members().len()),
                                                "member",
                                                "members",
                                            ),
                                        )
                                    }}
                                </p>
                                <A href=format!("/group/{space}") attr:class="button secondary">
                                    "Open the group"
                                </A>
                            </section>
                        }
                    })
            }}
            <section class="card" aria-labelledby="home-actions">
                <h2 id="home-actions">"Actions due"</h2>
                {move || {
                    let due = actions();
                    if due.is_empty() {
                        return view! { <p>"Nothing due. Actions you agree with your coach appear here."</p> }
                            .into_any();
                    }
                    view! {
                        <ul class="checklist" data-testid="actions-due">
                            {due
                                .into_iter()
                                .map(|(space, action, coach)| {
                                    let id = action.id.clone();
                                    let label = format!(
                                        "{}{}",
                                        action.text,
                                        if action.due.is_empty() {
                                            String::new()
                                        } else {
                                            format!(" (due {})", platform::due_day(&action.due))
                                        },
                                    );
                                    let input_id = format!("due-{id}");
                                    view! {
                                        <li>
                                            <input
                                                type="checkbox"
                                                id=input_id.clone()
                                                on:change=move |_| {
                                                    if let Some(c) = repo
                                                        .handle::<
                                                            amplify::Coaching,
                                                        >(amplify::DocId::Coaching(space))
                                                    {
                                                        let at = platform::now().utc_ms;
                                                        c.edit(|c| c.set_done(&id, Some(at)));
                                                    }
                                                }
                                            />
                                            <label for=input_id dir="auto">
                                                {label}
                                            </label>
                                            <span class="meta">{format!("agreed with {coach}")}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </section>
            {move || {
                next_events()
                    .filter(|e| !e.is_empty())
                    .map(|events| {
                        view! {
                            <section class="card" aria-labelledby="home-calendar">
                                <h2 id="home-calendar">"Coming up"</h2>
                                <ul class="calendar">
                                    {events
                                        .into_iter()
                                        .map(|e| {
                                            view! {
                                                <li>
                                                    <strong>{e.kind.label()}</strong>
                                                    " · "
                                                    <span dir="auto">{e.title}</span>
                                                    " · "
                                                    {format!("{} to {}", e.starts, e.ends)}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                    })
            }}
            <Show when=move || repo.with_account(|a| a.is_some_and(|a| a.cohort().is_none()))>
                <p class="hint">
                    "Have an invite link from your programme team? Open it on this device to join your cohort."
                </p>
            </Show>
        </section>
    }
}
