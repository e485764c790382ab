//! Who is in a governed space, as its pages show it: the people (with Remove for its admins and
//! Leave for oneself), invite links with an expiry and a number of uses, who joined with which,
//! and Revoke; and, once this device is out, what that means.

use amplify::{InviteKind, SpaceId, members::InviteId};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use super::{InvitePanel, Notices, words::invite_state};
use crate::{account::cohort_role, actions, documents::Repo, platform, sync::SyncHandle};

/// A person as the list shows them.
#[derive(Debug, Clone, PartialEq)]
struct Person {
    id: amplify::PersonId,
    name: String,
    /// Their role, where the space has roles ("Coach").
    role: Option<String>,
    me: bool,
}

/// The membership of `space`. `kinds`: what invites may be made here (several for a cohort:
/// one per role). `names`: the people's names as the space's documents give them, by person id
/// (in hex). `noun`: what the space is called in sentences ("group").
#[component]
pub fn Membership(
    space: SpaceId,
    kinds: Vec<InviteKind>,
    #[prop(into)] names: Signal<Vec<(String, String)>>,
    noun: &'static str,
    #[prop(into)] name: Signal<String>,
) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let joined = move || repo.with_account(|a| a.and_then(|a| a.space(space)).cloned());
    let governed = move || joined().is_some_and(|s| s.governed().is_some());
    let removed = move || joined().is_some_and(|s| s.removed);
    let manage = move || joined().is_some_and(|s| s.can_manage());
    let people = Memo::new(move |_| {
        let me = repo.person();
        let names = names.get();
        let Some(joined) = joined() else { return Vec::new() };
        let Some(g) = joined.governed() else { return Vec::new() };
        let mut people: Vec<Person> = g
            .state()
            .people()
            .into_iter()
            .filter(|(_, devices)| devices.iter().any(|d| d.role >= amplify::members::MemberRole::Reader))
            .map(|(id, devices)| Person {
                id,
                name: names
                    .iter()
                    .find(|(p, _)| *p == id.to_string())
                    .map(|(_, n)| n.clone())
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| "Someone not named yet".to_owned()),
                role: (joined.kind == crate::account::SpaceKind::Cohort)
                    .then(|| devices.first().and_then(|d| cohort_role(d.tag)))
                    .flatten()
                    .map(|r| r.label().to_owned()),
                me: Some(id) == me,
            })
            .collect();
        amplify::sort::by_key(&mut people, |p| (!p.me, p.name.to_lowercase()));
        people
    });
    let said = RwSignal::new(String::new());
    let kinds = StoredValue::new(kinds);
    view! {
        <Show when=removed>
            <p role="status" class="problem" data-testid="removed-notice">
                {move || {
                    format!(
                        "You are no longer in {}. What you wrote stays on this device; nothing new arrives here.",
                        name.get(),
                    )
                }}
            </p>
        </Show>
        <Show when=move || governed() && !removed()>
            <section class="card" aria-labelledby=format!("people-{space}")>
                <h2 id=format!("people-{space}")>"People"</h2>
                <ul class="people" data-testid="member-list">
                    <For each=move || people.get() key=|p| (p.id, p.name.clone(), p.role.clone()) let:person>
                        <PersonRow space person manage=Signal::derive(manage) noun said />
                    </For>
                </ul>
                <p role="status" class="hint">
                    {move || said.get()}
                </p>
            </section>
            <Show when=manage>
                <Invites space kinds=kinds.get_value() noun />
            </Show>
        </Show>
    }
}

#[component]
fn PersonRow(
    space: SpaceId,
    person: Person,
    manage: Signal<bool>,
    noun: &'static str,
    said: RwSignal<String>,
) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let notices = expect_context::<Notices>();
    let asking = RwSignal::new(false);
    let Person { id, name, role, me } = person;
    let shown = if me { format!("{name} (you)") } else { name.clone() };
    let role = role.map(|r| format!(" · {r}"));
    let (question, button) = if me {
        (
            format!(
                "Leave this {noun}? You will read nothing written here from now on. What you wrote stays."
            ),
            format!("Yes, leave the {noun}"),
        )
    } else {
        (
            format!(
                "Remove {name}? Their devices will read nothing written here from now on; what they wrote stays, with their name."
            ),
            format!("Yes, remove {name}"),
        )
    };
    let label = if me { "Leave".to_owned() } else { format!("Remove {name}") };
    let (question, button, label) =
        (StoredValue::new(question), StoredValue::new(button), StoredValue::new(label));
    let name = StoredValue::new(name);
    let confirm = {
        move |_| {
            let name = name.get_value();
            spawn_local(async move {
                let outcome = if me {
                    actions::leave(repo, sync, space).await
                } else {
                    actions::remove_person(repo, sync, space, id).await
                };
                match outcome {
                    Ok(()) if me => notices.show(format!("You left the {noun}.")),
                    Ok(()) => said.set(format!("{name} was removed. The {noun}'s key was replaced.")),
                    Err(e) => said.set(format!("That did not work: {e}")),
                }
                asking.set(false);
            });
        }
    };
    let may = move || me || manage.get();
    view! {
        <li>
            <span dir="auto">{shown}</span>
            <span class="hint">{role}</span>
            <Show when=may>
                <Show
                    when=move || asking.get()
                    fallback=move || {
                        view! {
                            <button class="secondary small" on:click=move |_| asking.set(true)>
                                {label.get_value()}
                            </button>
                        }
                    }
                >
                    <div class="confirm" role="group" aria-label="Confirm">
                        <p>{question.get_value()}</p>
                        <button class="danger" on:click=confirm>
                            {button.get_value()}
                        </button>
                        <button class="secondary" on:click=move |_| asking.set(false)>
                            "Cancel"
                        </button>
                    </div>
                </Show>
            </Show>
        </li>
    }
}

/// Invite links: a new one (how long, how many uses, which role), and those made so far.
#[component]
fn Invites(space: SpaceId, kinds: Vec<InviteKind>, noun: &'static str) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let first = kinds.first().copied().unwrap_or(InviteKind::HomeGroup);
    let kind = RwSignal::new(first);
    let days = RwSignal::new(actions::DEFAULT_INVITE_DAYS);
    let uses = RwSignal::new(actions::invite_defaults(first).2);
    let link = RwSignal::new(None::<String>);
    let problem = RwSignal::new(String::new());
    let make = move |ev: SubmitEvent| {
        ev.prevent_default();
        let from = actions::my_name(&repo);
        spawn_local(async move {
            let made = actions::make_invite(
                repo,
                sync,
                space,
                kind.get_untracked(),
                days.get_untracked(),
                uses.get_untracked().max(1),
                &from,
            )
            .await;
            match made {
                Ok(invite) => {
                    link.set(actions::invite_link(&invite));
                    problem.set(String::new());
                }
                Err(e) => problem.set(format!("No invite was made: {e}")),
            }
        });
    };
    let choices = StoredValue::new(kinds.clone());
    let several = kinds.len() > 1;
    // Where invites are made elsewhere on the page (a cohort's, one per role), only the list.
    let offered = !kinds.is_empty();
    let cohort = kinds.iter().any(|k| matches!(k, InviteKind::Cohort(_)));
    let invites = move || {
        repo.with_account(|a| {
            a.and_then(|a| a.space(space)).and_then(|s| s.governed()).map(|g| {
                let mut all: Vec<_> = g.state().invites().filter(|i| i.person.is_none()).cloned().collect();
                amplify::sort::by_key(&mut all, |i| std::cmp::Reverse(i.made_ms));
                (all, g.state().clone())
            })
        })
    };
    view! {
        <section class="card" aria-labelledby=format!("invites-{space}")>
            <h2 id=format!("invites-{space}")>"Invite links"</h2>
            <Show when=move || offered>
                <form class="stack" on:submit=make>
                    <Show when=move || several>
                        <label for=format!("invite-role-{space}")>"Invite as"</label>
                        <select
                            id=format!("invite-role-{space}")
                            on:change=move |ev| {
                                let i: usize = event_target_value(&ev).parse().unwrap_or(0);
                                if let Some(k) = choices.with_value(|c| c.get(i).copied()) {
                                    kind.set(k);
                                    uses.set(actions::invite_defaults(k).2);
                                }
                            }
                        >
                            {choices
                                .get_value()
                                .into_iter()
                                .enumerate()
                                .map(|(i, k)| view! { <option value=i.to_string()>{kind_label(k)}</option> })
                                .collect_view()}
                        </select>
                    </Show>
                    <label for=format!("invite-days-{space}")>"Valid for"</label>
                    <select
                        id=format!("invite-days-{space}")
                        on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(7))
                    >
                        {[1i64, 3, 7, 14, 30]
                            .into_iter()
                            .map(|d| {
                                let label = if d == 1 { "1 day".to_owned() } else { format!("{d} days") };
                                view! {
                                    <option value=d.to_string() selected=d == actions::DEFAULT_INVITE_DAYS>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <label for=format!("invite-uses-{space}")>"How many people can use it"</label>
                    <input
                        id=format!("invite-uses-{space}")
                        type="number"
                        min="1"
                        max="500"
                        prop:value=move || uses.get().to_string()
                        on:input=move |ev| uses.set(event_target_value(&ev).parse().unwrap_or(1))
                    />
                    <button type="submit">"Make an invite link"</button>
                    <p role="alert" class="problem">
                        {move || problem.get()}
                    </p>
                </form>
            </Show>
            {move || {
                link.get()
                    .map(|link| {
                        view! {
                            <InvitePanel
                                link
                                warning=format!(
                                    "Whoever opens this link can join the {noun} until it expires or is used up. \
                                     Send it only to the people you mean; you can revoke it below.",
                                )
                            />
                        }
                    })
            }}
            <ul class="invites" data-testid="invites">
                {move || {
                    let (all, state) = invites()
                        .unwrap_or_else(|| (Vec::new(), amplify::members::State::new(space)));
                    let now = platform::now().utc_ms;
                    all.into_iter()
                        .map(|invite| {
                            let live = invite.live(now);
                            let who = actions::joined_with(&state, invite.id)
                                .into_iter()
                                .map(|p| person_name(&repo, space, p))
                                .collect::<Vec<_>>();
                            let joined = if who.is_empty() {
                                "nobody has joined with it yet".to_owned()
                            } else {
                                format!("joined: {}", who.join(", "))
                            };
                            let text = format!(
                                "Link{} made {}: {}; {}",
                                for_whom(invite.tag, cohort),
                                platform::short_date(invite.made_ms),
                                invite_state(&invite, now, platform::short_date),
                                joined,
                            );
                            view! {
                                <li>
                                    <span>{text}</span>
                                    <Show when=move || live>
                                        <RevokeButton space invite=invite.id />
                                    </Show>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

#[component]
fn RevokeButton(space: SpaceId, invite: InviteId) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let notices = expect_context::<Notices>();
    let revoke = move |_| {
        spawn_local(async move {
            match actions::revoke_invite(repo, sync, space, invite).await {
                Ok(()) => notices.show("The invite link was revoked: nobody can join with it any more."),
                Err(e) => notices.show(format!("The invite could not be revoked: {e}")),
            }
        });
    };
    view! {
        <button class="secondary small" on:click=revoke>
            "Revoke"
        </button>
    }
}

/// A person's name, as far as this device knows it (their card or the space's documents).
fn person_name(repo: &Repo, space: SpaceId, person: amplify::PersonId) -> String {
    repo.name_in(space, person).unwrap_or_else(|| "someone".to_owned())
}

fn kind_label(kind: InviteKind) -> &'static str {
    match kind {
        InviteKind::Cohort(role) => role.label(),
        InviteKind::HomeGroup => "Group member",
        InviteKind::Coaching => "Coaching",
        InviteKind::Device => "Your device",
    }
}

/// "for a coach", for an invite to a cohort; nothing elsewhere.
fn for_whom(tag: u8, cohort: bool) -> String {
    match cohort_role(tag) {
        Some(role) if cohort => format!(" for a {}", role.label().to_lowercase()),
        _ => String::new(),
    }
}
