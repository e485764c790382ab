//! Coaching. The participant's page: their coach, sessions, agreed actions (to tick off),
//! goals, and the entries they share. The coach's dashboard: every coachee with what is new, what
//! is open, and who has gone quiet; and a page per coachee with private notes.

use amplify::{Coaching as CoachingDoc, Owner, SpaceId};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};

use crate::{
    actions,
    documents::{DocHandle, ReadMarks, Repo},
    platform,
    sync::SyncHandle,
    ui::{InvitePanel, Membership, SyncedText, words},
};

/// A coachee with nothing new for this long is marked stalled.
const STALLED_DAYS: i64 = 14;
const DAY_MS: i64 = 86_400_000;

/// `/coaching`: the participant's side.
#[component]
pub fn CoachingPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    // A memo: the pairs are drawn again only when the list changes, not on every change of the
    // account (their forms and messages would be lost).
    let pairs = Memo::new(move |_| actions::my_coaching_pairs(&repo));
    view! {
        <section class="page coaching">
            <h1>"Coaching"</h1>
            {move || {
                let pairs = pairs.get();
                if pairs.is_empty() {
                    return view! {
                        <p>
                            "Your coach sends you a link to start. Open it on this device and your sessions, actions and goals appear here."
                        </p>
                    }
                        .into_any();
                }
                pairs
                    .into_iter()
                    .filter_map(|space| {
                        repo.handle::<amplify::Coaching>(amplify::DocId::Coaching(space)).map(|h| (space, h))
                    })
                    .map(|(space, handle)| view! { <PairView space handle side=Owner::Participant /> })
                    .collect_view()
                    .into_any()
            }}
        </section>
    }
}

/// Sessions, actions and goals of one pair, from either side.
#[component]
fn PairView(space: SpaceId, handle: DocHandle<CoachingDoc>, side: Owner) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let pair = Memo::new(move |_| handle.with(|c| c.pair()));
    let other = move || match side {
        Owner::Participant => pair.with(|p| p.coach_name.clone()),
        Owner::Coach => pair.with(|p| p.participant_name.clone()),
    };
    let actions = Memo::new(move |_| handle.with(|c| c.actions()));
    let goals = Memo::new(move |_| handle.with(|c| c.goals()));
    let sessions = Memo::new(move |_| handle.with(|c| c.sessions()));
    let action_text = RwSignal::new(String::new());
    let action_owner = RwSignal::new(Owner::Participant);
    let action_due = RwSignal::new(String::new());
    let goal_text = RwSignal::new(String::new());
    let add_action = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = action_text.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        let (owner, due, at) =
            (action_owner.get_untracked(), action_due.get_untracked(), platform::now().utc_ms);
        handle.edit(|c| c.add_action(&text, owner, &due, at));
        action_text.set(String::new());
        action_due.set(String::new());
    };
    let add_goal = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = goal_text.get_untracked().trim().to_owned();
        if !text.is_empty() {
            let at = platform::now().utc_ms;
            handle.edit(|c| c.add_goal(&text, at));
            goal_text.set(String::new());
        }
    };
    let add_session = move |_| {
        let (date, at) = (platform::now().local_date().to_string(), platform::now().utc_ms);
        handle.edit(|c| c.add_session(&date, at));
    };
    let newest_first = move || {
        let mut all = sessions.get();
        all.reverse();
        all
    };
    let key = space.to_string();
    view! {
        <section class="pair" aria-label=move || format!("Coaching with {}", other())>
            <h2 dir="auto">
                {move || match side {
                    Owner::Participant => format!("With your coach, {}", other()),
                    Owner::Coach => format!("Coaching {}", other()),
                }}
            </h2>

            <section class="card" aria-labelledby=format!("actions-{key}")>
                <h3 id=format!("actions-{key}")>"Agreed actions"</h3>
                <ul class="checklist" data-testid="actions">
                    {move || {
                        actions
                            .get()
                            .into_iter()
                            .map(|a| {
                                let (id, input_id) = (a.id.clone(), format!("action-{}", a.id));
                                let who = match (a.owner, side) {
                                    (Owner::Participant, Owner::Participant)
                                    | (Owner::Coach, Owner::Coach) => "you".to_owned(),
                                    (Owner::Participant, Owner::Coach) => other(),
                                    (Owner::Coach, Owner::Participant) => other(),
                                };
                                let due = if a.due.is_empty() {
                                    String::new()
                                } else {
                                    format!(", due {}", platform::due_day(&a.due))
                                };
                                view! {
                                    <li class:done=a.done>
                                        <input
                                            type="checkbox"
                                            id=input_id.clone()
                                            prop:checked=a.done
                                            on:change=move |ev| {
                                                let done = event_target_checked(&ev)
                                                    .then(|| platform::now().utc_ms);
                                                handle.edit(|c| c.set_done(&id, done));
                                            }
                                        />
                                        <label for=input_id dir="auto">
                                            {a.text.clone()}
                                        </label>
                                        <span class="meta">
                                            {format!(
                                                "for {who}{due}{}",
                                                if a.done { " · done" } else { "" },
                                            )}
                                        </span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <form class="stack" on:submit=add_action>
                    <label for=format!("new-action-{key}")>"New action"</label>
                    <input
                        id=format!("new-action-{key}")
                        type="text"
                        dir="auto"
                        prop:value=move || action_text.get()
                        on:input=move |ev| action_text.set(event_target_value(&ev))
                    />
                    <div class="row">
                        <label for=format!("new-action-owner-{key}")>"Who"</label>
                        <select
                            id=format!("new-action-owner-{key}")
                            on:change=move |ev| {
                                action_owner
                                    .set(
                                        Owner::from_key(&event_target_value(&ev))
                                            .unwrap_or(Owner::Participant),
                                    )
                            }
                        >
                            <option value="participant">
                                {move || if side == Owner::Participant { "Me".to_owned() } else { other() }}
                            </option>
                            <option value="coach">
                                {move || if side == Owner::Coach { "Me".to_owned() } else { other() }}
                            </option>
                        </select>
                        <label for=format!("new-action-due-{key}")>"Due"</label>
                        <input
                            id=format!("new-action-due-{key}")
                            type="date"
                            prop:value=move || action_due.get()
                            on:input=move |ev| action_due.set(event_target_value(&ev))
                        />
                    </div>
                    <button type="submit" class="secondary">
                        "Add action"
                    </button>
                </form>
            </section>

            <section class="card" aria-labelledby=format!("goals-{key}")>
                <h3 id=format!("goals-{key}")>"Goals"</h3>
                <ul class="checklist">
                    {move || {
                        goals
                            .get()
                            .into_iter()
                            .map(|g| {
                                let (id, input_id) = (g.id.clone(), format!("goal-{}", g.id));
                                view! {
                                    <li class:done=g.achieved>
                                        <input
                                            type="checkbox"
                                            id=input_id.clone()
                                            prop:checked=g.achieved
                                            on:change=move |ev| {
                                                let at = event_target_checked(&ev)
                                                    .then(|| platform::now().utc_ms);
                                                handle.edit(|c| c.set_achieved(&id, at));
                                            }
                                        />
                                        <label for=input_id dir="auto">
                                            {g.text.clone()}
                                        </label>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <form class="row" on:submit=add_goal>
                    <label for=format!("new-goal-{key}")>"New goal"</label>
                    <input
                        id=format!("new-goal-{key}")
                        type="text"
                        dir="auto"
                        prop:value=move || goal_text.get()
                        on:input=move |ev| goal_text.set(event_target_value(&ev))
                    />
                    <button type="submit" class="secondary">
                        "Add goal"
                    </button>
                </form>
            </section>

            <section class="card" aria-labelledby=format!("sessions-{key}")>
                <h3 id=format!("sessions-{key}")>"Sessions"</h3>
                <For each=newest_first key=|s| s.id.clone() let:s>
                    {
                        let (i1, i2) = (s.id.clone(), s.id.clone());
                        let notes = Memo::new(move |_| {
                            handle
                                .with(|c| {
                                    c.sessions()
                                        .into_iter()
                                        .find(|x| x.id == i1)
                                        .map(|x| x.notes)
                                        .unwrap_or_default()
                                })
                        });
                        let i3 = s.id.clone();
                        let insights = Memo::new(move |_| {
                            handle
                                .with(|c| {
                                    c.sessions()
                                        .into_iter()
                                        .find(|x| x.id == i3)
                                        .map(|x| x.insights)
                                        .unwrap_or_default()
                                })
                        });
                        let i4 = s.id.clone();
                        view! {
                            <article class="session">
                                <h4>
                                    {format!(
                                        "Session on {}",
                                        amplify::Date::parse(&s.date)
                                            .map_or(s.date.clone(), platform::long_date),
                                    )}
                                </h4>
                                <label for=format!("notes-{}", s.id)>"Notes"</label>
                                <SyncedText
                                    id=format!("notes-{}", s.id)
                                    rows=4
                                    text=notes
                                    on_edit=move |v: String| handle.edit(|c| c.set_session_notes(&i2, &v))
                                />
                                <label for=format!("insights-{}", s.id)>"Insights"</label>
                                <SyncedText
                                    id=format!("insights-{}", s.id)
                                    rows=2
                                    text=insights
                                    on_edit=move |v: String| handle.edit(|c| c.set_session_insights(&i4, &v))
                                />
                            </article>
                        }
                    }
                </For>
                <button class="secondary" on:click=add_session>
                    "Record a session"
                </button>
            </section>

            {(side == Owner::Participant).then(|| view! { <SharedByMe space /> })}
            <Membership
                space
                kinds=Vec::new()
                names=Signal::derive(move || repo.names_in(space))
                noun="coaching pair"
                name=Signal::derive(move || format!("coaching with {}", other()))
            />
        </section>
    }
}

/// The entries this participant shares with the coach of `space`, with a way to stop.
#[component]
fn SharedByMe(space: SpaceId) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let shared = move || repo.shared_entries(space);
    view! {
        <section class="card" aria-labelledby=format!("shared-{space}")>
            <h3 id=format!("shared-{space}")>"Entries you share with your coach"</h3>
            {move || {
                let list = shared();
                if list.is_empty() {
                    return view! {
                        <p>
                            "None. Share a single entry from the entry itself; your journal stays private otherwise."
                        </p>
                    }
                        .into_any();
                }
                view! {
                    <ul>
                        {list
                            .into_iter()
                            .map(|(_, h)| view! { <li dir="auto">{move || h.with(|s| s.view().title)}</li> })
                            .collect_view()}
                    </ul>
                    <p class="hint">"To stop sharing one, open it in your journal."</p>
                }
                    .into_any()
            }}
        </section>
    }
}

/// `/coachees` (and a coach's home): every coachee at a glance.
#[component]
pub fn CoacheesPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let marks = ReadMarks::load(repo);
    let invite = RwSignal::new(None::<String>);
    let problem = RwSignal::new(String::new());
    let add = move |_| {
        spawn_local(async move {
            match actions::create_coaching(repo, sync, "New coachee").await {
                Ok(i) => invite.set(actions::invite_link(&i)),
                Err(e) => problem.set(format!("Could not start: {e}")),
            }
        });
    };
    let now = platform::now().utc_ms;
    let today = platform::now().local_date().to_string();
    // One line per coachee, worked out once per change (a coach may have fifteen).
    let rows = Memo::new(move |_| {
        actions::my_coachees(&repo)
            .into_iter()
            .filter_map(|space| {
                let handle = repo.handle::<amplify::Coaching>(amplify::DocId::Coaching(space))?;
                let shared = repo.shared_entries(space);
                let unread = shared.iter().filter(|(id, _)| !marks.is_read(*id)).count();
                let shared_at = shared.iter().map(|(_, h)| h.with(|s| s.view().shared_ms)).max().unwrap_or(0);
                let (name, open, overdue, activity) = handle.with(|c| {
                    let open: Vec<_> = c.actions().into_iter().filter(|a| !a.done).collect();
                    let overdue = open.iter().filter(|a| !a.due.is_empty() && a.due < today).count();
                    (c.pair().participant_name, open.len(), overdue, c.last_activity())
                });
                let last = activity.max(shared_at);
                Some(CoacheeRow {
                    space,
                    name,
                    unread,
                    open,
                    overdue,
                    last,
                    stalled: last > 0 && now - last > STALLED_DAYS * DAY_MS,
                })
            })
            .collect::<Vec<_>>()
    });
    let show = RwSignal::new(Only::Everyone);
    let order = RwSignal::new(Order::Attention);
    let shown = move || {
        let mut list: Vec<CoacheeRow> = rows.get().into_iter().filter(|r| show.get().keeps(r)).collect();
        order.get().sort(&mut list);
        list
    };
    view! {
        <section class="page coachees">
            <h1>"Your coachees"</h1>
            <crate::pages::welcome::GettingStarted />
            <div class="coachee-controls">
                <ChoiceSelect id="coachees-show" label="Show" value=show />
                <ChoiceSelect id="coachees-order" label="Order" value=order />
            </div>
            <p class="count" role="status">
                {move || {
                    let (seen, all) = (shown().len(), rows.with(Vec::len));
                    if seen == all {
                        words::count(all, "coachee", "coachees")
                    } else {
                        format!("{seen} of {all} coachees")
                    }
                }}
            </p>
            <ul class="coachee-list" data-testid="coachees">
                {move || {
                    shown()
                        .into_iter()
                        .map(|row| {
                            let name = if row.name.is_empty() {
                                "Invited, not joined yet".to_owned()
                            } else {
                                row.name.clone()
                            };
                            let last = match row.last {
                                0 => "No activity yet".to_owned(),
                                t => {
                                    format!(
                                        "Last activity {}",
                                        platform::day_label(
                                            amplify::Moment::new(t, 0).local_date(),
                                            platform::now().local_date(),
                                        ),
                                    )
                                }
                            };
                            view! {
                                <li>
                                    <A href=format!("/coachee/{}", row.space) attr:class="coachee-card">
                                        <span class="title" dir="auto">
                                            {name}
                                        </span>
                                        <span class="meta" data-testid="unread">
                                            {match row.unread {
                                                0 => "No new entries".to_owned(),
                                                1 => "1 new shared entry".to_owned(),
                                                n => format!("{n} new shared entries"),
                                            }}
                                        </span>
                                        <span class="meta">
                                            {match row.open {
                                                0 => "No open actions".to_owned(),
                                                1 => "1 open action".to_owned(),
                                                n => format!("{n} open actions"),
                                            }}
                                        </span>
                                        {(row.overdue > 0)
                                            .then(|| {
                                                view! {
                                                    <span class="badge overdue">
                                                        {format!(
                                                            "{} overdue",
                                                            words::count(row.overdue, "action", "actions"),
                                                        )}
                                                    </span>
                                                }
                                            })}
                                        <span class="meta">{last}</span>
                                        {row
                                            .stalled
                                            .then(|| {
                                                view! {
                                                    <span class="badge stalled">
                                                        "Stalled: nothing for two weeks"
                                                    </span>
                                                }
                                            })}
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <section class="card" aria-labelledby="add-coachee">
                <h2 id="add-coachee">"Add a coachee"</h2>
                {move || match invite.get() {
                    Some(link) => {
                        view! {
                            <InvitePanel
                                link
                                warning="Send this to your coachee only: with it they join your coaching space."
                            />
                        }
                            .into_any()
                    }
                    None => view! { <button on:click=add>"Make an invite link"</button> }.into_any(),
                }}
                <p role="alert" class="problem">
                    {move || problem.get()}
                </p>
            </section>
        </section>
    }
}

/// Buttons that bring each section of a long page into view, for a phone's short screen.
#[component]
fn SectionLinks(sections: Vec<(String, &'static str)>) -> impl IntoView {
    let go = |id: &str| {
        if let Some(heading) = document().get_element_by_id(id) {
            heading.scroll_into_view();
        }
    };
    view! {
        <nav class="section-links" aria-label="On this page">
            {sections
                .into_iter()
                .map(|(id, label)| {
                    view! {
                        <button type="button" class="chip" on:click=move |_| go(&id)>
                            {label}
                        </button>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// One coachee on the coach's list.
#[derive(Debug, Clone, PartialEq)]
struct CoacheeRow {
    space: SpaceId,
    name: String,
    unread: usize,
    open: usize,
    overdue: usize,
    /// Their last activity (ms), 0 if none yet.
    last: i64,
    stalled: bool,
}

/// One of a few ways to see a list, offered in a select.
trait Choice: Copy + Send + Sync + 'static {
    /// Every choice, the default first.
    const ALL: &'static [Self];
    fn key(self) -> &'static str;
    fn label(self) -> &'static str;

    fn from_key(key: &str) -> Self {
        Self::ALL.iter().copied().find(|c| c.key() == key).unwrap_or(Self::ALL[0])
    }
}

/// A labelled select that sets `value` to the choice picked.
#[component]
fn ChoiceSelect<C: Choice>(id: &'static str, label: &'static str, value: RwSignal<C>) -> impl IntoView {
    view! {
        <div>
            <label for=id>{label}</label>
            <select id=id on:change=move |ev| value.set(C::from_key(&event_target_value(&ev)))>
                {C::ALL.iter().map(|c| view! { <option value=c.key()>{c.label()}</option> }).collect_view()}
            </select>
        </div>
    }
}

/// Which coachees the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    Everyone,
    NewShared,
    Overdue,
    Stalled,
}

impl Choice for Only {
    const ALL: &'static [Only] = &[Only::Everyone, Only::NewShared, Only::Overdue, Only::Stalled];

    fn key(self) -> &'static str {
        match self {
            Only::Everyone => "everyone",
            Only::NewShared => "new",
            Only::Overdue => "overdue",
            Only::Stalled => "stalled",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Only::Everyone => "Everyone",
            Only::NewShared => "New shared entries",
            Only::Overdue => "Actions overdue",
            Only::Stalled => "Stalled (two weeks quiet)",
        }
    }
}

impl Only {
    fn keeps(self, row: &CoacheeRow) -> bool {
        match self {
            Only::Everyone => true,
            Only::NewShared => row.unread > 0,
            Only::Overdue => row.overdue > 0,
            Only::Stalled => row.stalled,
        }
    }
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Attention,
    Name,
    Recent,
}

impl Choice for Order {
    const ALL: &'static [Order] = &[Order::Attention, Order::Name, Order::Recent];

    fn key(self) -> &'static str {
        match self {
            Order::Attention => "attention",
            Order::Name => "name",
            Order::Recent => "recent",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Order::Attention => "Needing attention first",
            Order::Name => "By name",
            Order::Recent => "Most recent activity first",
        }
    }
}

impl Order {
    /// Sorts `rows`; ties go by name, so the order is the same on every run.
    fn sort(self, rows: &mut Vec<CoacheeRow>) {
        let name = |r: &CoacheeRow| r.name.to_lowercase();
        match self {
            // New material to read, then overdue actions, then silence.
            Order::Attention => amplify::sort::by_key(rows, |r| {
                (std::cmp::Reverse((r.unread, r.overdue, r.stalled)), name(r))
            }),
            Order::Name => amplify::sort::by_key(rows, name),
            Order::Recent => amplify::sort::by_key(rows, |r| (std::cmp::Reverse(r.last), name(r))),
        }
    }
}

/// `/coachee/:space`: one coachee, as their coach sees them.
#[component]
pub fn CoacheePage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let params = use_params_map();
    let space = Memo::new(move |_| params.with(|p| p.get("space").and_then(|s| SpaceId::parse(&s))));
    let marks = ReadMarks::load(repo);
    view! {
        <section class="page coachee">
            <A href="/" attr:class="back">
                "← Coachees"
            </A>
            {move || {
                let Some(space) = space.get() else { return view! { <h1>"Not found"</h1> }.into_any() };
                let Some(handle) = repo.handle::<amplify::Coaching>(amplify::DocId::Coaching(space)) else {
                    return view! { <h1>"Not one of your coachees"</h1> }.into_any();
                };
                let notes = repo.handle::<amplify::Notes>(amplify::DocId::CoachNotes(space));
                let shared = move || { repo.shared_entries(space) };
                let name = move || handle.with(|c| c.pair().participant_name);
                view! {
                    <h1 dir="auto">{name}</h1>
                    <SectionLinks sections=vec![
                        ("shared-heading".to_owned(), "Shared entries"),
                        (format!("actions-{space}"), "Actions"),
                        (format!("goals-{space}"), "Goals"),
                        (format!("sessions-{space}"), "Sessions"),
                        ("private-heading".to_owned(), "Private notes"),
                    ] />
                    <section class="card" aria-labelledby="shared-heading">
                        <h2 id="shared-heading">"Entries shared with you"</h2>
                        <ul class="shared-list" data-testid="shared-with-coach">
                            {move || {
                                shared()
                                    .into_iter()
                                    .map(|(id, h)| {
                                        let unread = move || !marks.is_read(id);
                                        let view_ = h.with(|s| s.view());
                                        view! {
                                            <li class:unread=unread>
                                                <details on:toggle=move |_| marks.mark(id)>
                                                    <summary dir="auto">
                                                        {view_.title.clone()} <Show when=unread>
                                                            <span class="badge">" New"</span>
                                                        </Show>
                                                    </summary>
                                                    {view_
                                                        .prompt
                                                        .clone()
                                                        .map(|p| {
                                                            view! {
                                                                <p class="meta" dir="auto">
                                                                    {p}
                                                                </p>
                                                            }
                                                        })}
                                                    <p class="shared-body" dir="auto">
                                                        {move || h.with(|s| s.view().body)}
                                                    </p>
                                                </details>
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </ul>
                    </section>
                    <PairView space handle side=Owner::Coach />
                    {notes
                        .map(|notes| {
                            let text = Memo::new(move |_| notes.with(|n| n.text()));
                            view! {
                                <section class="card" aria-labelledby="private-heading">
                                    <h2 id="private-heading">"Your private notes"</h2>
                                    <p class="hint" id="private-hint">
                                        "Only your devices hold these. Your coachee never receives them."
                                    </p>
                                    <label for="private-notes">"Private notes"</label>
                                    <SyncedText
                                        id="private-notes"
                                        rows=5
                                        text
                                        on_edit=move |v: String| notes.edit(|n| n.set_text(&v))
                                    />
                                </section>
                            }
                        })}
                }
                    .into_any()
            }}
        </section>
    }
}
