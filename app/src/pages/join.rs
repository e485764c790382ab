//! Opening an invite link: joining a home group, a cohort or a coaching pair, linking this
//! device to one's own journal, or restoring it with a recovery code. The link's secret is read
//! from the address's `#fragment` (which no server ever sees), then cleared from the address
//! bar and history.

use amplify::{CohortRole, Invite, InviteKey, InviteKind, ProfileField, parse_recovery_code};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_router::{NavigateOptions, components::A, hooks::use_navigate};

use crate::{actions, documents::Repo, sync::SyncHandle, ui::Notices};

#[component]
pub fn JoinPage() -> impl IntoView {
    let fragment = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    if !fragment.is_empty() {
        // The secret should not stay in the address bar or the history.
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok())
            && let Err(e) = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/join"))
        {
            crate::platform::warn(&format!("the invite stays in the address bar: {e:?}"));
        }
    }
    let invite = (!fragment.is_empty()).then(|| Invite::parse(&fragment));
    // The programme's registration on the relay comes with the invite: this device registers
    // its own spaces with it, so the relay keeps them.
    if let Some(Ok(invite)) = &invite
        && invite.registration.is_some()
    {
        let (repo, sync) = (expect_context::<Repo>(), expect_context::<SyncHandle>());
        let invite = StoredValue::new(invite.clone());
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) || !repo.loaded.get() {
                return done.unwrap_or(false);
            }
            spawn_local(async move { actions::adopt_registration(repo, sync, &invite.get_value()).await });
            true
        });
    }
    view! {
        <section class="page join">
            {match invite {
                Some(Ok(invite)) => {
                    match invite.kind {
                        InviteKind::Device => view! { <LinkDevice invite /> }.into_any(),
                        InviteKind::HomeGroup => view! { <JoinGroup invite /> }.into_any(),
                        _ => view! { <JoinOther invite /> }.into_any(),
                    }
                }
                Some(Err(e)) => {
                    view! {
                        <h1>"This invite link does not work"</h1>
                        <p role="alert">{e.to_string()}</p>
                        <Recover />
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <h1>"Bring your journal to this device"</h1>
                        <p>"Open a link from Settings on your other device, or type your recovery code."</p>
                        <Recover />
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// A name field, filled from the profile once it loads.
fn name_signal(repo: Repo) -> RwSignal<String> {
    let name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if repo.loaded.get() && name.get_untracked().is_empty() {
            name.set(repo.profile.with(|p| p.get(ProfileField::Name)));
        }
    });
    name
}

#[component]
fn JoinGroup(invite: Invite) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let navigate = use_navigate();
    let space = invite.key.space();
    // A group from before governed spaces can be read with its link; a governed one only by
    // its members.
    let secret = StoredValue::new(match &invite.key {
        InviteKey::Secret(secret) => Some(secret.clone()),
        _ => None,
    });
    let name = invite.name.clone();
    let my_name = name_signal(repo);
    let already =
        move || repo.with_account(|a| a.is_some_and(|a| a.space(space).is_some_and(|s| !s.removed)));
    let preview = LocalResource::new(move || async move {
        if !repo.loaded.get() {
            return None;
        }
        let secret = secret.get_value()?;
        Some(actions::preview(repo, &secret).await)
    });
    let governed = secret.with_value(Option::is_none);
    let invite = StoredValue::new(invite);
    let problem = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let join = {
        move |ev: SubmitEvent| {
            ev.prevent_default();
            let me = my_name.get_untracked().trim().to_owned();
            if me.is_empty() {
                problem.set("Add your name, as the group will see it.".to_owned());
                return;
            }
            busy.set(true);
            let navigate = navigate.clone();
            spawn_local(async move {
                match actions::join_group(repo, sync, &invite.get_value(), &me).await {
                    Ok(space) => navigate(&format!("/group/{space}"), NavigateOptions::default()),
                    Err(e) => problem.set(format!("Joining failed: {e}")),
                }
                busy.set(false);
            });
        }
    };
    let from = invite.with_value(|i| i.from.clone());
    view! {
        <h1 dir="auto">{format!("Join the home group “{name}”")}</h1>
        <p dir="auto">{format!("{} invited you.", if from.is_empty() { "A member" } else { &from })}</p>
        <Show when=move || !governed>
            <section aria-labelledby="who-heading" class="card">
                <h2 id="who-heading">"Who is in it"</h2>
                <div role="status" data-testid="preview">
                    {move || match preview.get() {
                        None | Some(None) => view! { <p>"Asking the relay…"</p> }.into_any(),
                        Some(Some(Ok(p))) if p.members.is_empty() => {
                            view! { <p>"Nobody has synced yet: you may be first."</p> }.into_any()
                        }
                        Some(Some(Ok(p))) => {
                            view! {
                                <ul class="members">
                                    {p
                                        .members
                                        .into_iter()
                                        .map(|m| view! { <li dir="auto">{m}</li> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Some(Some(Err(e))) => {
                            view! {
                                <p>
                                    {format!(
                                        "The member list could not be fetched ({e}). You can still join; it appears once you are online.",
                                    )}
                                </p>
                            }
                                .into_any()
                        }
                    }}
                </div>
            </section>
        </Show>
        <Show when=move || governed>
            <p class="hint">
                "Only members can see who is in the group: you will, as soon as you join. Joining needs a connection."
            </p>
        </Show>
        <Show
            when=move || !already()
            fallback=move || {
                view! {
                    <p>"You are already in this group. "<A href=format!("/group/{space}")>"Open it"</A></p>
                }
            }
        >
            <form class="stack" on:submit=join.clone()>
                <label for="join-name">"Your name, as the group will see it"</label>
                <input
                    id="join-name"
                    type="text"
                    dir="auto"
                    prop:value=move || my_name.get()
                    on:input=move |ev| my_name.set(event_target_value(&ev))
                />
                <p class="hint">
                    "Members can read and edit the group's documents. Your journal stays yours."
                </p>
                <button type="submit" disabled=move || busy.get()>
                    "Join the group"
                </button>
                <p role="alert" class="problem">
                    {move || problem.get()}
                </p>
            </form>
        </Show>
    }
}

/// Cohort and coaching invites: what joining means, a name, and a button.
#[component]
fn JoinOther(invite: Invite) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let navigate = use_navigate();
    let space = invite.key.space();
    let my_name = name_signal(repo);
    let already = move || repo.with_account(|a| a.is_some_and(|a| a.space(space).is_some()));
    let from = if invite.from.is_empty() { "Someone".to_owned() } else { invite.from.clone() };
    let (title, what, button) = match invite.kind {
        InviteKind::Coaching => (
            format!("Start coaching with {from}"),
            "You and your coach will share session notes, agreed actions and goals. Your journal stays private: \
             you choose which entries to share."
                .to_owned(),
            "Start coaching",
        ),
        InviteKind::Cohort(CohortRole::Executive) => (
            format!("View the showcase of “{}”", invite.name),
            "As an executive viewer you can read the cohort's showcase and its Little Black Book. You cannot read \
             anyone's journal, coaching notes or group work, and you cannot change anything."
                .to_owned(),
            "Open the showcase",
        ),
        InviteKind::Cohort(role) => (
            format!("Join “{}” as {}", invite.name, role.label().to_lowercase()),
            "You will see the programme's calendar and its people. Your profile card is shared with the cohort; \
             your journal stays yours."
                .to_owned(),
            "Join the cohort",
        ),
        _ => ("This link cannot be used here".to_owned(), String::new(), "Join"),
    };
    let invite = StoredValue::new(invite);
    let problem = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let join = move |ev: SubmitEvent| {
        ev.prevent_default();
        let me = my_name.get_untracked().trim().to_owned();
        if me.is_empty() {
            problem.set("Add your name.".to_owned());
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let invite = invite.get_value();
            let outcome = match (invite.kind, &invite.key) {
                (InviteKind::Coaching, _) => {
                    actions::join_coaching(repo, sync, &invite, &me).await.map(|_| "/coaching")
                }
                (InviteKind::Cohort(CohortRole::Executive), _) => {
                    actions::join_cohort(repo, sync, &invite, &me).await.map(|_| "/showcase")
                }
                (InviteKind::Cohort(CohortRole::ProgrammeTeam), _) => {
                    actions::join_cohort(repo, sync, &invite, &me).await.map(|_| "/cohort")
                }
                (InviteKind::Cohort(_), _) => {
                    actions::join_cohort(repo, sync, &invite, &me).await.map(|_| "/")
                }
                _ => Ok("/"),
            };
            match outcome {
                Ok(path) => navigate(path, NavigateOptions::default()),
                Err(e) => problem.set(format!("Joining failed: {e}")),
            }
            busy.set(false);
        });
    };
    view! {
        <h1 dir="auto">{title}</h1>
        <p>{what}</p>
        <Show
            when=move || !already()
            fallback=|| view! { <p>"This device has already joined. "<A href="/">"Go home"</A></p> }
        >
            <form class="stack" on:submit=join.clone()>
                <label for="join-name">"Your name"</label>
                <input
                    id="join-name"
                    type="text"
                    dir="auto"
                    prop:value=move || my_name.get()
                    on:input=move |ev| my_name.set(event_target_value(&ev))
                />
                <button type="submit" disabled=move || busy.get() || !repo.loaded.get()>
                    {button}
                </button>
                <p role="alert" class="problem">
                    {move || problem.get()}
                </p>
            </form>
        </Show>
    }
}

/// What the link button does.
#[derive(Clone)]
enum Linking {
    /// A link from another of the person's devices.
    Invite(Box<Invite>),
    /// The recovery code's seed.
    Code([u8; 32]),
}

#[component]
fn LinkDevice(invite: Invite) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let space = invite.key.space();
    let from = invite.from.clone();
    let linking = StoredValue::new(Linking::Invite(Box::new(invite)));
    let already = move || repo.with_account(|a| a.is_some_and(|a| a.personal().id() == space));
    let whose = if from.is_empty() { "your".to_owned() } else { format!("{from}'s") };
    view! {
        <h1 dir="auto">{format!("Link this device to {whose} journal")}</h1>
        <p>
            "This device will get the journal and profile from your other devices, and keep them in step. "
            "Whatever is already on this device is kept and added."
        </p>
        <Show
            when=move || !already()
            fallback=|| {
                view! { <p>"This device is already linked. "<A href="/journal">"Open your journal"</A></p> }
            }
        >
            <LinkButton linking=linking.get_value() label="Link this device" />
        </Show>
    }
}

/// Links this device to the person's own space, then goes to the journal.
#[component]
fn LinkButton(linking: Linking, label: &'static str) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let notices = expect_context::<Notices>();
    let navigate = use_navigate();
    let linking = StoredValue::new(linking);
    let problem = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let link = move |_| {
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let outcome = match linking.get_value() {
                Linking::Invite(invite) => actions::link_device(repo, sync, &invite).await,
                Linking::Code(seed) => {
                    let restored = actions::restore_device(repo, sync, seed).await;
                    if restored.is_ok() {
                        // The person had the code at hand: no need to ask them to keep it.
                        crate::pages::welcome::code_kept(&amplify::recovery_code(&seed));
                    }
                    restored
                }
            };
            match outcome {
                Ok(()) => {
                    notices.show("This device is linked. Your journal arrives as soon as it is online.");
                    navigate("/journal", NavigateOptions::default());
                }
                Err(e) => problem.set(format!("Linking failed: {e}")),
            }
            busy.set(false);
        });
    };
    view! {
        <button disabled=move || busy.get() || !repo.loaded.get() on:click=link>
            {label}
        </button>
        <p role="alert" class="problem">
            {move || problem.get()}
        </p>
    }
}

#[component]
fn Recover() -> impl IntoView {
    let code = RwSignal::new(String::new());
    let checked = Memo::new(move |_| {
        let code = code.get();
        (!code.trim().is_empty()).then(|| parse_recovery_code(&code))
    });
    view! {
        <section class="card" aria-labelledby="recover-heading">
            <h2 id="recover-heading">"Use a recovery code"</h2>
            <form class="stack" on:submit=|ev: SubmitEvent| ev.prevent_default()>
                <label for="recovery-code">"Recovery code"</label>
                <input
                    id="recovery-code"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="recovery-hint"
                    prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev))
                />
                <p class="hint" id="recovery-hint">
                    "53 letters and digits, from Settings on a device you had. Dashes and spaces don't matter."
                </p>
                {move || match checked.get() {
                    Some(Ok(seed)) => {
                        view! { <LinkButton linking=Linking::Code(seed) label="Restore my journal" /> }
                            .into_any()
                    }
                    Some(Err(e)) => {
                        view! {
                            <p role="alert" class="problem">
                                {e.to_string()}
                            </p>
                        }
                            .into_any()
                    }
                    None => ().into_any(),
                }}
            </form>
        </section>
    }
}
