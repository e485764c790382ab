//! Home groups: the ones this person is in, starting one, and a group's own page (members,
//! shared notes, inviting someone).

use amplify::{Group, Invite, InviteKey, InviteKind, ProfileField, SpaceId};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_params_map},
};

use crate::{
    actions,
    documents::{DocHandle, Repo},
    sync::SyncHandle,
    ui::{HealthAlert, InvitePanel, Membership, SyncedText},
};

#[component]
pub fn GroupsPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let my_name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if my_name.get_untracked().is_empty() {
            my_name.set(repo.profile.with(|p| p.get(ProfileField::Name)));
        }
    });
    let problem = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (group, me) = (name.get_untracked().trim().to_owned(), my_name.get_untracked().trim().to_owned());
        if group.is_empty() || me.is_empty() {
            problem.set("Give the group a name, and your name as the group will see it.".to_owned());
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match actions::create_group(repo, sync, &group, &me).await {
                Ok(space) => navigate(&format!("/group/{space}"), NavigateOptions::default()),
                Err(e) => problem.set(format!("The group could not be created: {e}")),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="page groups">
            <h1>"Home groups"</h1>
            <ul class="group-list" aria-label="Your home groups">
                {move || {
                    repo.groups()
                        .into_iter()
                        .map(|(space, handle)| {
                            let name = move || handle.with(|g| g.name());
                            let members = move || {
                                crate::ui::words::count(
                                    handle.with(|g| g.members().len()),
                                    "member",
                                    "members",
                                )
                            };
                            view! {
                                <li>
                                    <A href=format!("/group/{space}") attr:class="group-card">
                                        <span class="title" dir="auto">
                                            {name}
                                        </span>
                                        <span class="meta">{members}</span>
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <form class="card stack" on:submit=create>
                <h2>"Start a home group"</h2>
                <p class="hint">
                    "Four to six colleagues from your region who coach one another. You can invite them next."
                </p>
                <label for="group-name">"Group name"</label>
                <input
                    id="group-name"
                    type="text"
                    dir="auto"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <label for="my-name">"Your name, as the group will see it"</label>
                <input
                    id="my-name"
                    type="text"
                    dir="auto"
                    prop:value=move || my_name.get()
                    on:input=move |ev| my_name.set(event_target_value(&ev))
                />
                <button type="submit" disabled=move || busy.get()>
                    "Create the group"
                </button>
                <p role="alert" class="problem">
                    {move || problem.get()}
                </p>
            </form>
            <p class="hint">"Invited to a group? Open the invite link on this device."</p>
        </section>
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let params = use_params_map();
    let space = Memo::new(move |_| params.with(|p| p.get("space").and_then(|s| SpaceId::parse(&s))));
    let handle = Memo::new(move |_| {
        let space = space.get()?;
        repo.groups().into_iter().find(|(s, _)| *s == space).map(|(_, h)| h)
    });
    view! {
        <section class="page group">
            <A href="/group" attr:class="back">
                "← Home groups"
            </A>
            {move || match (handle.get(), space.get()) {
                (Some(handle), Some(space)) => view! { <GroupDetail handle space /> }.into_any(),
                _ if !repo.loaded.get() => view! { <p role="status">"Opening…"</p> }.into_any(),
                _ => {
                    view! {
                        <h1>"Group not found"</h1>
                        <p>"This device is not in this group. Ask a member for an invite link."</p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn GroupDetail(handle: DocHandle<Group>, space: SpaceId) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let notes = Memo::new(move |_| handle.with(|g| g.notes()));
    let inviting = RwSignal::new(false);
    let governed =
        move || repo.with_account(|a| a.and_then(|a| a.space(space)).is_some_and(|s| s.governed().is_some()));
    // The group document lists whoever joined; in a governed group, only those still in it.
    let members = Memo::new(move |_| {
        let all = handle.with(|g| g.members());
        let present = repo.with_account(|a| {
            a.and_then(|a| a.space(space))
                .and_then(|s| s.governed())
                .map(|g| g.state().people().into_keys().map(|p| p.to_string()).collect::<Vec<_>>())
        });
        match present {
            Some(present) => all.into_iter().filter(|m| present.contains(&m.person)).collect(),
            None => all,
        }
    });
    let invite_link = move || {
        let secret =
            repo.with_account(|a| a.and_then(|a| a.space(space)).and_then(|s| s.secret().cloned()))?;
        let from = repo.profile.with(|p| p.get(ProfileField::Name));
        let invite = Invite {
            kind: InviteKind::HomeGroup,
            key: InviteKey::Secret(secret),
            name: handle.with(|g| g.name()),
            from,
            registration: actions::registration(&repo),
        };
        actions::invite_link(&invite)
    };
    view! {
        <h1 dir="auto">{move || handle.with(|g| g.name())}</h1>
        <HealthAlert handle name="home group" />
        <section aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <ul class="members" data-testid="members">
                {move || {
                    members.get().into_iter().map(|m| view! { <li dir="auto">{m.name}</li> }).collect_view()
                }}
            </ul>
        </section>
        <section aria-labelledby="experiments-heading">
            <h2 id="experiments-heading">"Experiments"</h2>
            <ul class="link-list" data-testid="experiments">
                // Everyone who ever joined: what someone who left wrote stays, with their name.
                {move || {
                    handle
                        .with(|g| g.members())
                        .into_iter()
                        .map(|m| {
                            let mine = repo.person().is_some_and(|p| p.to_string() == m.person);
                            let label = if mine {
                                "Your experiment".to_owned()
                            } else {
                                format!("{}'s experiment", m.name)
                            };
                            view! {
                                <li>
                                    <A href=format!("/canvas/{space}/{}", m.person)>{label}</A>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
        <label for="group-notes">"Shared notes"</label>
        <p class="hint" id="group-notes-hint">
            "Everyone in the group can edit these, even offline; edits merge."
        </p>
        <SyncedText
            id="group-notes"
            text=notes
            on_edit=move |text: String| handle.edit(|g| g.set_notes(&text))
        />
        <Membership
            space
            kinds=vec![InviteKind::HomeGroup]
            names=Signal::derive(move || repo.names_in(space))
            noun="group"
            name=Signal::derive(move || handle.with(|g| g.name()))
        />
        <Show when=move || !governed()>
            <section class="card" aria-labelledby="invite-heading">
                <h2 id="invite-heading">"Invite someone"</h2>
                <Show
                    when=move || inviting.get()
                    fallback=move || {
                        view! { <button on:click=move |_| inviting.set(true)>"Show an invite link"</button> }
                    }
                >
                    {move || {
                        invite_link()
                            .map(|link| {
                                view! {
                                    <InvitePanel
                                        link
                                        warning=concat!(
                                            "Anyone with this link can join the group and read and edit its documents. ",
                                            "Send it only to the people you mean.",
                                        )
                                    />
                                }
                            })
                    }}
                </Show>
            </section>
        </Show>
    }
}
