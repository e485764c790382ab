//! The first week's few steps that protect a person, on Home until they are done: their name,
//! the recovery code kept (and checked from where they kept it), the app installed the way
//! their platform does it, and the browser asked to keep Amplify's data. Each step says why it
//! matters; "Finish later" puts the card away for a few days.

use amplify::ProfileField;
use leptos::{prelude::*, task::spawn_local};

use crate::{actions, documents::Repo, platform};

/// The last group of the recovery code this device's person checked they kept (a replaced
/// code asks again).
const KEPT: &str = "amplify.start.code-kept";
/// Until when (ms) "Finish later" put the card away.
const LATER: &str = "amplify.start.later";
/// The install step is over on this browser: `installed` (the browser said so) or `not now`.
const INSTALL: &str = "amplify.start.install";

/// How long "Finish later" puts the card away.
const LATER_MS: f64 = 3.0 * 24.0 * 3600.0 * 1000.0;

/// Groups of four characters a recovery code has (then its check symbol).
const GROUPS: usize = 13;

/// Notes on this device that the person has `code` at hand (they checked it, or restored this
/// device with it): the step is done.
pub fn code_kept(code: &str) -> Option<String> {
    let last = code.rsplit('-').next()?.to_owned();
    platform::remember(KEPT, &last);
    Some(last)
}

#[component]
pub fn GettingStarted() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let named = Memo::new(move |_| !actions::my_name(&repo).trim().is_empty());
    let code = Memo::new(move |_| actions::recovery_to_show(&repo));
    let kept_group = RwSignal::new(platform::remembered::<String>(KEPT));
    let kept = Memo::new(move |_| {
        code.get().zip(kept_group.get()).is_some_and(|(code, group)| code.rsplit('-').next() == Some(&group))
    });
    let installed = RwSignal::new(platform::installed() || platform::remembered::<String>(INSTALL).is_some());
    let installing = RwSignal::new(platform::installing());
    // The browser offers to install (index.html passes its invitation on), or says it did.
    let offered =
        window_event_listener_untyped("amplify-installable", move |_| installing.set(platform::installing()));
    let done_installing = window_event_listener_untyped("appinstalled", move |_| {
        platform::remember(INSTALL, &"installed");
        installed.set(true);
    });
    on_cleanup(move || {
        offered.remove();
        done_installing.remove();
    });
    // `None` until asked; then whether the browser keeps the data (`None` inside: it cannot
    // be asked, and the recovery code is the only backup).
    let persisted = RwSignal::new(None::<Option<bool>>);
    spawn_local(async move { persisted.set(Some(platform::storage_report().await.persisted)) });
    let protected = Memo::new(move |_| persisted.get().is_some_and(|p| p != Some(false)));
    let later = RwSignal::new(
        platform::remembered::<f64>(LATER).is_some_and(|until| until > platform::now().utc_ms as f64),
    );
    let message = RwSignal::new(String::new());

    // In the order shown; the first not done is the one open.
    let steps = move || {
        let mut steps = vec![(NAME, named.get())];
        if code.get().is_some() {
            steps.push((CODE, kept.get()));
        }
        steps.extend([(INSTALL_STEP, installed.get()), (STORAGE, protected.get())]);
        steps
    };
    let done = move || steps().into_iter().filter(|(_, done)| *done).count();
    let total = move || steps().len();
    provide_context(Current(Memo::new(move |_| {
        steps().into_iter().find(|(_, done)| !done).map(|(title, _)| title)
    })));
    // Shown once what each step needs is known (so a person who is done never sees it flash),
    // while something is left and it is not put off; a step finished here keeps it in view
    // (it goes at the next visit to Home).
    let ready = move || {
        persisted.get().is_some()
            && repo.profile.health() != crate::documents::Health::Loading
            && repo.with_account(|a| a.is_some())
    };
    let shown = move || ready() && !later.get() && (done() < total() || message.with(|m| !m.is_empty()));
    let finish_later = move |_| {
        platform::remember(LATER, &(platform::now().utc_ms as f64 + LATER_MS));
        later.set(true);
    };
    view! {
        <Show when=shown>
            <section
                class="card getting-started"
                aria-labelledby="start-heading"
                data-testid="getting-started"
            >
                <h2 id="start-heading">"Getting started"</h2>
                <p class="meta" data-testid="start-progress">
                    {move || format!("{} of {} done", done(), total())}
                </p>
                <ol class="steps">
                    <NameStep named message />
                    <Show when=move || code.get().is_some()>
                        <CodeStep code kept kept_group persisted message />
                    </Show>
                    <InstallStep installed installing message />
                    <StorageStep persisted protected message />
                </ol>
                <Show when=move || { done() < total() }>
                    <div class="actions">
                        <button class="secondary" on:click=finish_later>
                            "Finish later"
                        </button>
                    </div>
                </Show>
                <p role="status" class="hint" data-testid="start-status">
                    {move || message.get()}
                </p>
            </section>
        </Show>
    }
}

const NAME: &str = "Your name";
const CODE: &str = "Keep your recovery code";
const INSTALL_STEP: &str = "Install Amplify";
const STORAGE: &str = "Keep your data on this device";

/// The step open now: the first one not done (the others open with a tap on their title).
#[derive(Clone, Copy)]
struct Current(Memo<Option<&'static str>>);

/// One step: its title, whether it is done (said in words, not only by a tick), and what to
/// do while it is not. A disclosure, so the card stays short on a phone: the step to do now is
/// open, and opens by itself when the one before it is done.
#[component]
fn Step(
    title: &'static str,
    #[prop(into)] done: Signal<bool>,
    #[prop(into)] done_text: Signal<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let Current(current) = expect_context::<Current>();
    view! {
        <li class="step" class:done=move || done.get()>
            <details prop:open=move || current.get() == Some(title)>
                <summary>
                    <h3>
                        {title}
                        <span class="step-state">{move || if done.get() { " · Done" } else { "" }}</span>
                    </h3>
                </summary>
                <Show when=move || done.get() fallback=move || children()>
                    <p class="hint">{move || done_text.get()}</p>
                </Show>
            </details>
        </li>
    }
}

#[component]
fn NameStep(named: Memo<bool>, message: RwSignal<String>) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let name = RwSignal::new(String::new());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = name.get_untracked().trim().to_owned();
        if typed.is_empty() {
            message.set("Type your name first.".to_owned());
            return;
        }
        repo.profile.edit(|p| p.set(ProfileField::Name, &typed));
        message.set(format!("Saved: your group and coach will see you as {typed}."));
    };
    view! {
        <Step title=NAME done=named done_text="Your group and coach see it. Change it in your profile.">
            <form class="row" on:submit=save>
                <label for="start-name">"Your name"</label>
                <input
                    id="start-name"
                    type="text"
                    autocomplete="name"
                    dir="auto"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button type="submit">"Save my name"</button>
            </form>
        </Step>
    }
}

/// Which two groups of the code the check asks for.
fn two_groups() -> (usize, usize) {
    let pick = |n: usize| ((js_sys::Math::random() * n as f64) as usize).min(n - 1);
    let first = pick(GROUPS);
    let second = (first + 1 + pick(GROUPS - 1)) % GROUPS;
    (first.min(second) + 1, first.max(second) + 1)
}

/// A group as typed: spaces and dashes ignored, each character read as a code is read when
/// restoring ([`amplify::code_char`]).
fn typed_group(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(amplify::code_char).collect()
}

/// Asks the browser to keep Amplify's data, then notes what it says now; returns its answer.
async fn ask_to_keep(persisted: RwSignal<Option<Option<bool>>>) -> Option<bool> {
    let answer = platform::request_persistence().await;
    persisted.set(Some(platform::storage_report().await.persisted));
    answer
}

#[component]
fn CodeStep(
    code: Memo<Option<String>>,
    kept: Memo<bool>,
    kept_group: RwSignal<Option<String>>,
    persisted: RwSignal<Option<Option<bool>>>,
    message: RwSignal<String>,
) -> impl IntoView {
    // `Some(groups)` while the person shows they kept it.
    let checking = RwSignal::new(None::<(usize, usize)>);
    let answers = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let text = move || code.get_untracked().unwrap_or_default();
    let copy = move |_| {
        spawn_local(async move {
            message.set(if platform::copy_text(&text()).await {
                "Copied. Paste it where you keep passwords, not in a chat.".to_owned()
            } else {
                "This browser would not copy it: write it down, or download it.".to_owned()
            });
        });
    };
    let share = move |_| {
        spawn_local(async move {
            let body = format!("My Amplify recovery code: {}", text());
            if platform::share_text("Amplify recovery code", &body).await == Some(true) {
                message.set("Shared. Keep it somewhere only you can open.".to_owned());
            }
        });
    };
    let download = move |_| {
        let body = format!(
            "Amplify recovery code\n\n{}\n\nWith this code, a new phone or browser gets your journal back \
             (Amplify > Join > Use a recovery code). Keep it private.\n",
            text()
        );
        match platform::download("amplify-recovery-code.txt", "text/plain", body.as_bytes()) {
            Ok(()) => message.set("Downloaded amplify-recovery-code.txt.".to_owned()),
            Err(_) => message.set("The download did not start: copy the code or write it down.".to_owned()),
        }
    };
    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some((a, b)), Some(code)) = (checking.get_untracked(), code.get_untracked()) else { return };
        let groups: Vec<&str> = code.split('-').collect();
        let right = |n: usize, typed: RwSignal<String>| {
            groups.get(n - 1).is_some_and(|g| typed_group(&typed.get_untracked()) == *g)
        };
        let wrong: Vec<String> = [(a, answers.0), (b, answers.1)]
            .into_iter()
            .filter(|(n, t)| !right(*n, *t))
            .map(|(n, _)| n.to_string())
            .collect();
        if !wrong.is_empty() {
            message.set(format!(
                "Group {} does not match. Look again where you kept the code, or show it again.",
                wrong.join(" and ")
            ));
            return;
        }
        kept_group.set(code_kept(&code));
        checking.set(None);
        message.set("Your recovery code is kept. With it, your journal survives a lost phone.".to_owned());
        // A good moment to ask the browser to keep the data too: the person has just seen
        // why it matters, and pressed a button.
        if persisted.get_untracked() == Some(Some(false)) {
            spawn_local(async move {
                ask_to_keep(persisted).await;
            });
        }
    };
    view! {
        <Step title=CODE done=kept done_text="Kept. Settings shows it again if you need it.">
            <p>
                "If this phone is lost or reset, this code brings your journal back. Only you have it: "
                "nobody at Amplify can recover it for you."
            </p>
            {move || match checking.get() {
                None => {
                    view! {
                        <p class="recovery-code" data-testid="start-recovery-code">
                            {move || code.get().unwrap_or_default()}
                        </p>
                        <div class="actions">
                            <button class="secondary" on:click=copy>
                                "Copy code"
                            </button>
                            <Show when=platform::can_share>
                                <button class="secondary" on:click=share>
                                    "Share code"
                                </button>
                            </Show>
                            <button class="secondary" on:click=download>
                                "Download code"
                            </button>
                        </div>
                        <button on:click=move |_| {
                            answers.0.set(String::new());
                            answers.1.set(String::new());
                            message.set(String::new());
                            checking.set(Some(two_groups()));
                        }>"I have kept it"</button>
                    }
                        .into_any()
                }
                Some((a, b)) => {
                    view! {
                        <form on:submit=check>
                            <p>
                                {format!(
                                    "From where you kept it, type group {a} and group {b} of your code (four characters each).",
                                )}
                            </p>
                            <div class="code-groups">
                                <GroupField id="start-group-a" n=a value=answers.0 />
                                <GroupField id="start-group-b" n=b value=answers.1 />
                            </div>
                            <div class="actions">
                                <button type="submit">"Check"</button>
                                <button type="button" class="secondary" on:click=move |_| checking.set(None)>
                                    "Show the code again"
                                </button>
                            </div>
                        </form>
                    }
                        .into_any()
                }
            }}
        </Step>
    }
}

#[component]
fn InstallStep(
    installed: RwSignal<bool>,
    installing: RwSignal<platform::Installing>,
    message: RwSignal<String>,
) -> impl IntoView {
    let install = move |_| {
        spawn_local(async move {
            match platform::prompt_install().await {
                Some(true) => {
                    platform::remember(INSTALL, &"installed");
                    installed.set(true);
                    message.set("Installed: Amplify opens from your home screen.".to_owned());
                }
                Some(false) => message.set("Not installed. You can install it later from here.".to_owned()),
                None => installing.set(platform::installing()),
            }
        });
    };
    let not_now = move |_| {
        platform::remember(INSTALL, &"not now");
        installed.set(true);
    };
    view! {
        <Step
            title=INSTALL_STEP
            done=installed
            done_text="Amplify opens from your home screen, even with no network."
        >
            <p>
                "Installed, Amplify opens like any app, works offline, and the browser is less likely to clear it."
            </p>
            {move || match installing.get() {
                platform::Installing::Prompt => {
                    view! { <button on:click=install>"Install Amplify"</button> }.into_any()
                }
                platform::Installing::ShareMenu => {
                    view! {
                        <p data-testid="install-how">
                            "In Safari, tap the Share button (the square with an arrow), then "
                            <strong>"Add to Home Screen"</strong>"."
                        </p>
                    }
                        .into_any()
                }
                platform::Installing::BrowserMenu => {
                    view! {
                        <p data-testid="install-how">
                            "Open your browser's menu and choose " <strong>"Install app"</strong> " or "
                            <strong>"Add to Home screen"</strong> "."
                        </p>
                    }
                        .into_any()
                }
            }}
            <button class="secondary" on:click=not_now>
                "Not now"
            </button>
        </Step>
    }
}

#[component]
fn StorageStep(
    persisted: RwSignal<Option<Option<bool>>>,
    protected: Memo<bool>,
    message: RwSignal<String>,
) -> impl IntoView {
    let protect = move |_| {
        spawn_local(async move {
            if ask_to_keep(persisted).await == Some(true) {
                message.set("Protected: this browser will keep Amplify's data.".to_owned());
            } else {
                message.set(
                    "The browser said not yet. Installing Amplify and using it often usually changes its mind; \
                     your recovery code keeps you safe meanwhile."
                        .to_owned(),
                );
            }
        });
    };
    let done_text = Signal::derive(move || {
        match persisted.get() {
            Some(None) => "This browser cannot be asked: your recovery code is your backup.",
            _ => "Protected: the browser will not clear Amplify's data to free space.",
        }
        .to_owned()
    });
    view! {
        <Step title=STORAGE done=protected done_text>
            <p>
                "When space runs low, browsers may clear a site's data. Ask this one to keep Amplify's, "
                "so nothing written offline is ever at risk."
            </p>
            <button on:click=protect>"Protect my data"</button>
        </Step>
    }
}

/// One group of the recovery code, typed back.
#[component]
fn GroupField(id: &'static str, n: usize, value: RwSignal<String>) -> impl IntoView {
    view! {
        <label for=id>{format!("Group {n}")}</label>
        <input
            id=id
            type="text"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck="false"
            maxlength="6"
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        />
    }
}
