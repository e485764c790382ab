//! The cohort: one programme run. The programme team sets it up (name, dates, the calendar of the
//! seven months) and invites people by role; everyone in it sees the calendar and its people.

use amplify::{CohortRole, Invite, InviteKey, InviteKind, Milestone, SpaceId};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::components::A;

use crate::{
    actions,
    documents::Repo,
    roles::AppRole,
    sync::SyncHandle,
    ui::{InvitePanel, Membership},
};

#[component]
pub fn CohortPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let cohort = Memo::new(move |_| repo.cohort_space());
    view! {
        <section class="page cohort">
            {move || match cohort.get() {
                Some(space) => view! { <CohortView space /> }.into_any(),
                None if !repo.loaded.get() => view! { <p role="status">"Opening…"</p> }.into_any(),
                None => view! { <NewCohort /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn NewCohort() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let name = RwSignal::new(String::new());
    let me = RwSignal::new(actions::my_name(&repo));
    let code = RwSignal::new(String::new());
    let problem = RwSignal::new(String::new());
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (cohort, my_name) =
            (name.get_untracked().trim().to_owned(), me.get_untracked().trim().to_owned());
        if cohort.is_empty() || my_name.is_empty() {
            problem.set("Give the cohort a name, and yours.".to_owned());
            return;
        }
        let registration = match code.get_untracked().trim() {
            "" => None,
            typed => match amplify::RegistrationKey::parse_code(typed) {
                Ok(key) => Some(key),
                Err(e) => {
                    problem.set(format!("The registration code does not read: {e}"));
                    return;
                }
            },
        };
        spawn_local(async move {
            if let Some(key) = registration
                && let Err(e) = actions::use_registration(repo, sync, key).await
            {
                problem.set(format!("The registration code could not be kept: {e}"));
                return;
            }
            if let Err(e) = actions::create_cohort(repo, sync, &cohort, &my_name).await {
                problem.set(format!("The cohort could not be created: {e}"));
            }
        });
    };
    let has_registration = move || actions::registration(&repo).is_some();
    view! {
        <h1>"Cohort"</h1>
        <p>
            "You are not in a cohort yet. Participants, coaches and executives join by the invite link their programme team sends."
        </p>
        <form class="card stack" on:submit=create>
            <h2>"Set up a new cohort"</h2>
            <p class="hint">"For the programme team: you will invite everyone else from here."</p>
            <label for="cohort-name">"Cohort name"</label>
            <input
                id="cohort-name"
                type="text"
                dir="auto"
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <label for="cohort-me">"Your name"</label>
            <input
                id="cohort-me"
                type="text"
                dir="auto"
                prop:value=move || me.get()
                on:input=move |ev| me.set(event_target_value(&ev))
            />
            <Show when=move || !has_registration()>
                <label for="cohort-registration">"Registration code"</label>
                <input
                    id="cohort-registration"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="cohort-registration-hint"
                    prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev))
                />
                <p id="cohort-registration-hint" class="hint">
                    "From whoever runs your Amplify server (it starts with AMPR-). It lets the server keep your "
                    "programme's data; everyone you invite gets it with their invite."
                </p>
            </Show>
            <button type="submit">"Create the cohort"</button>
            <p role="alert" class="problem">
                {move || problem.get()}
            </p>
        </form>
    }
}

#[component]
fn CohortView(space: SpaceId) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let handle = repo.cohort(space);
    let team = move || AppRole::of(&repo) == AppRole::ProgrammeTeam;
    let Some(handle) = handle else { return view! { <p>"Opening…"</p> }.into_any() };
    let name = move || handle.with(|c| c.name());
    let dates = Memo::new(move |_| handle.with(|c| c.dates()));
    let calendar = Memo::new(move |_| handle.with(|c| c.calendar()));
    let members = Memo::new(move |_| repo.cohort_members(space));
    let groups = Memo::new(move |_| handle.with(|c| c.groups()));
    let (kind, title, starts, ends) = (
        RwSignal::new(Milestone::CoachingKickoff),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let add_event = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (s, e) = (starts.get_untracked(), ends.get_untracked());
        if s.is_empty() {
            return;
        }
        let t = match title.get_untracked().trim() {
            "" => kind.get_untracked().label().to_owned(),
            t => t.to_owned(),
        };
        let e = if e.is_empty() { s.clone() } else { e };
        handle.edit(|c| c.add_event(kind.get_untracked(), &t, &s, &e));
        title.set(String::new());
    };
    let person_name = move |person: &Option<String>| {
        person
            .as_ref()
            .and_then(|p| members.with(|m| m.iter().find(|x| &x.person == p).map(|x| x.name.clone())))
    };
    let group_name = move |space: &Option<String>| {
        space.as_ref().and_then(|s| groups.with(|g| g.iter().find(|x| &x.space == s).map(|x| x.name.clone())))
    };
    view! {
        <h1 dir="auto">{name}</h1>
        <section class="card" aria-labelledby="dates-heading">
            <h2 id="dates-heading">"Dates"</h2>
            <Show
                when=team
                fallback=move || {
                    view! {
                        <p>
                            {move || {
                                let (s, e) = dates.get();
                                if s.is_empty() { "Not set yet.".to_owned() } else { format!("{s} to {e}") }
                            }}
                        </p>
                    }
                }
            >
                <div class="row">
                    <label for="cohort-starts">"Starts"</label>
                    <input
                        id="cohort-starts"
                        type="date"
                        prop:value=move || dates.get().0
                        on:change=move |ev| {
                            let s = event_target_value(&ev);
                            let e = dates.get_untracked().1;
                            handle.edit(|c| c.set_dates(&s, &e));
                        }
                    />
                    <label for="cohort-ends">"Ends"</label>
                    <input
                        id="cohort-ends"
                        type="date"
                        prop:value=move || dates.get().1
                        on:change=move |ev| {
                            let e = event_target_value(&ev);
                            let s = dates.get_untracked().0;
                            handle.edit(|c| c.set_dates(&s, &e));
                        }
                    />
                </div>
            </Show>
        </section>
        <section class="card" aria-labelledby="calendar-heading">
            <h2 id="calendar-heading">"Calendar"</h2>
            <ol class="calendar" data-testid="calendar">
                {move || {
                    calendar
                        .get()
                        .into_iter()
                        .map(|e| {
                            let id = e.id.clone();
                            view! {
                                <li>
                                    <strong>{e.kind.label()}</strong>
                                    " · "
                                    <span dir="auto">{e.title.clone()}</span>
                                    " · "
                                    {format!("{} to {}", e.starts, e.ends)}
                                    <Show when=team>
                                        {
                                            let id = id.clone();
                                            view! {
                                                <button
                                                    class="secondary"
                                                    on:click=move |_| handle.edit(|c| c.remove_event(&id))
                                                >
                                                    "Remove"
                                                </button>
                                            }
                                        }
                                    </Show>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <Show when=team>
                <form class="stack" on:submit=add_event>
                    <label for="event-kind">"Part of the programme"</label>
                    <select
                        id="event-kind"
                        on:change=move |ev| {
                            if let Some(m) = Milestone::from_key(&event_target_value(&ev)) {
                                kind.set(m)
                            }
                        }
                    >
                        {Milestone::ALL
                            .into_iter()
                            .map(|m| view! { <option value=m.key()>{m.label()}</option> })
                            .collect_view()}
                    </select>
                    <label for="event-title">"Title (optional)"</label>
                    <input
                        id="event-title"
                        type="text"
                        dir="auto"
                        prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev))
                    />
                    <div class="row">
                        <label for="event-starts">"From"</label>
                        <input
                            id="event-starts"
                            type="date"
                            prop:value=move || starts.get()
                            on:input=move |ev| starts.set(event_target_value(&ev))
                        />
                        <label for="event-ends">"To"</label>
                        <input
                            id="event-ends"
                            type="date"
                            prop:value=move || ends.get()
                            on:input=move |ev| ends.set(event_target_value(&ev))
                        />
                    </div>
                    <button type="submit" class="secondary">
                        "Add to the calendar"
                    </button>
                </form>
            </Show>
        </section>
        <section class="card" aria-labelledby="people-heading">
            <h2 id="people-heading">"People"</h2>
            <table class="people" data-testid="people">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Region"</th>
                        <th scope="col">"Home group"</th>
                        <th scope="col">"Coach"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        members
                            .get()
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <tr>
                                        <td dir="auto">{m.name.clone()}</td>
                                        <td>{m.role.label()}</td>
                                        <td dir="auto">{m.region.clone()}</td>
                                        <td dir="auto">
                                            {m
                                                .group_name
                                                .clone()
                                                .or_else(|| group_name(&m.group))
                                                .unwrap_or_default()}
                                        </td>
                                        <td dir="auto">{person_name(&m.coach).unwrap_or_default()}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </section>
        <Show when=team>
            <Invites space />
        </Show>
        <Membership
            space
            kinds=Vec::new()
            names=Signal::derive(move || repo.names_in(space))
            noun="cohort"
            name=Signal::derive(name)
        />
        <p>
            <A href="/showcase">"Showcase"</A>
            " · "
            <A href="/book">"Little Black Book"</A>
        </p>
    }
    .into_any()
}

/// The programme team's invite links, one per role.
#[component]
fn Invites(space: SpaceId) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let shown = RwSignal::new(None::<(CohortRole, String)>);
    let problem = RwSignal::new(String::new());
    // A governed cohort's links expire and run out (and are listed below, to revoke); an older
    // cohort's carry its secret.
    let make = move |role: CohortRole| {
        let (secret, name) = repo
            .with_account(|a| a.and_then(|a| a.space(space)).map(|s| (s.secret().cloned(), s.name.clone())))
            .unwrap_or_default();
        let kind = InviteKind::Cohort(role);
        spawn_local(async move {
            let invite = match secret {
                Some(secret) => Ok(Invite {
                    kind,
                    key: match role {
                        CohortRole::Executive => InviteKey::Reader(secret.keys().reader_keys()),
                        _ => InviteKey::Secret(secret),
                    },
                    name,
                    from: actions::my_name(&repo),
                    registration: actions::registration(&repo),
                }),
                None => {
                    let (_, _, uses) = actions::invite_defaults(kind);
                    actions::make_invite(
                        repo,
                        sync,
                        space,
                        kind,
                        actions::DEFAULT_INVITE_DAYS,
                        uses,
                        &actions::my_name(&repo),
                    )
                    .await
                }
            };
            match invite.map(|i| actions::invite_link(&i)) {
                Ok(Some(link)) => {
                    shown.set(Some((role, link)));
                    problem.set(String::new());
                }
                Ok(None) => {}
                Err(e) => problem.set(format!("No invite was made: {e}")),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite people"</h2>
            <p class="hint">
                "One link per role. Executive viewers can read the showcase and the Black Book, and nothing else."
            </p>
            <div class="actions" role="group" aria-label="Invite by role">
                {CohortRole::ALL
                    .into_iter()
                    .map(|role| {
                        view! {
                            <button
                                class="chip"
                                aria-pressed=move || {
                                    shown.with(|s| s.as_ref().is_some_and(|(r, _)| *r == role)).to_string()
                                }
                                on:click=move |_| make(role)
                            >
                                {crate::ui::words::invite_role(role)}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <p role="alert" class="problem">
                {move || problem.get()}
            </p>
            {move || {
                shown
                    .get()
                    .map(|(role, link)| {
                        view! {
                            <InvitePanel
                                link
                                warning=format!(
                                    "This link makes its holder a {} of the cohort, for {} days or until it is used up; you can revoke it below.",
                                    role.label().to_lowercase(),
                                    actions::DEFAULT_INVITE_DAYS,
                                )
                            />
                        }
                    })
            }}
        </section>
    }
}
