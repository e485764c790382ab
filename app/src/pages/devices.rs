//! Settings' sections about the person's devices: the sync facts, the devices that hold their
//! spaces (with Remove), linking another, the recovery code; and leaving and erasing the
//! account.

use amplify::{Invite, InviteKey, InviteKind, ProfileField};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use crate::{
    actions,
    documents::Repo,
    platform,
    sync::SyncHandle,
    ui::{InvitePanel, Notices},
};

/// One of the person's devices, as the list shows it.
#[derive(Debug, Clone, PartialEq)]
struct Device {
    id: amplify::DeviceId,
    since_ms: i64,
    this: bool,
}

#[component]
pub fn DevicesSection() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let showing_code = RwSignal::new(false);
    let governed = move || repo.with_account(|a| a.is_some_and(|a| a.personal().governed().is_some()));
    let devices = Memo::new(move |_| {
        // The account loads before the keyring, and only the keyring tells a linked device which
        // member is the recovery key: until then it would be listed as a device to remove.
        if !repo.loaded.get() {
            return Vec::new();
        }
        let recovery = recovery_device(&repo);
        repo.with_account(|a| {
            let Some(a) = a else { return Vec::new() };
            let Some(g) = a.personal().governed() else { return Vec::new() };
            let mut devices: Vec<Device> = g
                .state()
                .members()
                .filter(|m| Some(m.device) != recovery)
                .map(|m| Device { id: m.device, since_ms: m.since_ms, this: m.device == a.device.id() })
                .collect();
            amplify::sort::by_key(&mut devices, |d| (!d.this, d.since_ms));
            devices
        })
    });
    let code = move || actions::recovery_to_show(&repo);
    let notices = expect_context::<Notices>();
    let replace_code = move |_| {
        spawn_local(async move {
            match actions::replace_recovery(repo, sync).await {
                Ok(()) => {
                    showing_code.set(true);
                    notices.show("Your recovery code was replaced: the old one no longer works. Write down the new one.");
                }
                Err(e) => notices.show(format!("The recovery code could not be replaced: {e}")),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="devices-heading">
            <h2 id="devices-heading">"Your devices and backup"</h2>
            <p>
                "Your journal and profile are end-to-end encrypted. The relay keeps a copy for your other devices "
                "but cannot read it."
            </p>
            <SyncFacts />
            <Show when=move || governed() && repo.loaded.get()>
                <h3>"Devices with your spaces"</h3>
                <ul class="devices" data-testid="devices">
                    <For each=move || devices.get() key=|d| d.id let:device>
                        <DeviceRow device />
                    </For>
                </ul>
            </Show>
            <LinkAnother />
            <Show
                when=move || showing_code.get()
                fallback=move || {
                    view! {
                        <button class="secondary" on:click=move |_| showing_code.set(true)>
                            "Show recovery code"
                        </button>
                    }
                }
            >
                <p>
                    "Write this down and keep it somewhere safe. With it, a new phone gets your journal back."
                </p>
                {move || match code() {
                    Some(code) => {
                        view! {
                            <p class="recovery-code" data-testid="recovery-code">
                                {code}
                            </p>
                        }
                            .into_any()
                    }
                    None if !repo.loaded.get() => {
                        view! { <p role="status">"Opening your keyring…"</p> }.into_any()
                    }
                    None => {
                        view! {
                            <p role="status" data-testid="recovery-unknown">
                                "This device does not know the code yet. It learns it from the device you started Amplify on, the next time both are online."
                            </p>
                        }
                            .into_any()
                    }
                }}
                <Show when=governed>
                    <button class="secondary" on:click=replace_code>
                        "Replace the recovery code"
                    </button>
                </Show>
            </Show>
            <p>
                <A href="/join">"Bring your journal here from another device"</A>
            </p>
        </section>
    }
}

/// The person's recovery key among their space's members, not a device to list (a linked
/// device does not hold the key itself; the keyring names it).
fn recovery_device(repo: &Repo) -> Option<amplify::DeviceId> {
    actions::recovery_device(&actions::current_recovery(repo, true)?)
}

#[component]
fn SyncFacts() -> impl IntoView {
    let sync = expect_context::<SyncHandle>();
    view! {
        <dl class="facts">
            <dt>"Sync"</dt>
            <dd data-testid="sync-detail">
                {move || crate::ui::words::badge(&sync.phase(), sync.waiting())}
            </dd>
            <dt>"Waiting"</dt>
            <dd data-testid="sync-waiting">
                {move || match sync.waiting() {
                    0 => "Nothing: the relay has every change made here.".to_owned(),
                    1 => "1 change is only on this device so far.".to_owned(),
                    n => format!("{n} changes are only on this device so far."),
                }}
            </dd>
            <Show when=move || { sync.ignored() > 0 }>
                <dt>"Ignored"</dt>
                <dd>
                    {move || {
                        format!(
                            "{} change(s) from the relay failed their signature, encryption or rights check and were ignored.",
                            sync.ignored(),
                        )
                    }}
                </dd>
            </Show>
        </dl>
    }
}

#[component]
fn DeviceRow(device: Device) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let notices = expect_context::<Notices>();
    let asking = RwSignal::new(false);
    let Device { id, since_ms, this } = device;
    let label = if this {
        format!("This device (since {})", platform::short_date(since_ms))
    } else {
        format!("Another device, linked {}", platform::short_date(since_ms))
    };
    let remove = move |_| {
        spawn_local(async move {
            match actions::remove_device(repo, sync, id).await {
                Ok(()) => notices.show(
                    "The device was removed: it gets nothing new from any of your spaces. Your recovery code was \
                     replaced too; write down the new one.",
                ),
                Err(e) => notices.show(format!("The device could not be removed: {e}")),
            }
            asking.set(false);
        });
    };
    view! {
        <li>
            <span>{label}</span>
            <Show when=move || !this>
                <Show
                    when=move || asking.get()
                    fallback=move || {
                        view! {
                            <button class="secondary small" on:click=move |_| asking.set(true)>
                                "Remove this device"
                            </button>
                        }
                    }
                >
                    <div class="confirm" role="group" aria-label="Confirm">
                        <p>
                            "Remove it? It will get nothing new from your journal, groups, coaching or cohort. What it \
                             already holds stays on it."
                        </p>
                        <button class="danger" on:click=remove>
                            "Remove the device"
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

/// A link for another of the person's devices: one use, for a day.
#[component]
fn LinkAnother() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let link = RwSignal::new(None::<String>);
    let problem = RwSignal::new(String::new());
    let make = move |_| {
        let from = repo.profile.with_untracked(|p| p.get(ProfileField::Name));
        let personal = repo.with_account(|a| a.map(|a| (a.personal().id(), a.personal().secret().cloned())));
        let Some((space, secret)) = personal else { return };
        spawn_local(async move {
            let invite = match secret {
                // An account from before governed spaces links with its own space's secret.
                Some(secret) => Ok(Invite {
                    kind: InviteKind::Device,
                    key: InviteKey::Secret(secret),
                    name: "Your journal".to_owned(),
                    from,
                    registration: actions::registration(&repo),
                }),
                None => actions::make_invite(repo, sync, space, InviteKind::Device, 1, 1, &from).await,
            };
            match invite {
                Ok(invite) => link.set(actions::invite_link(&invite)),
                Err(e) => problem.set(format!("No link was made: {e}")),
            }
        });
    };
    view! {
        <Show
            when=move || link.get().is_some()
            fallback=move || view! { <button on:click=make>"Link another device"</button> }
        >
            {move || {
                link.get()
                    .map(|link| {
                        view! {
                            <InvitePanel
                                link
                                warning="Anyone with this link can read and change your journal. Open it only on your own devices; it works once, for a day."
                            />
                        }
                    })
            }}
        </Show>
        <p role="alert" class="problem">
            {move || problem.get()}
        </p>
    }
}

/// Leaving everything and erasing the account, after a clear confirmation and an offer to
/// download one's data first.
#[component]
pub fn EraseSection() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let open = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let said = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let ready = move || typed.get().trim().eq_ignore_ascii_case("erase") && !busy.get();
    let erase = move |_| {
        busy.set(true);
        said.set("Erasing…".to_owned());
        spawn_local(async move {
            match actions::erase_account(repo).await {
                Ok(()) => {
                    said.set("Erased. This device now forgets everything.".to_owned());
                    if let Some(storage) = repo.storage() {
                        storage.close();
                    }
                    if let Err(e) = platform::forget_everything(crate::DATABASE) {
                        said.set(format!(
                            "The server erased your data, but this device could not forget it: {e:?}"
                        ));
                    }
                }
                Err(e) => {
                    said.set(format!("Nothing was erased: {e}. Erasing needs a connection to the server."));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="erase-heading">
            <h2 id="erase-heading">"Leave and erase"</h2>
            <p>
                "Erasing your account takes you out of your home group, coaching and cohort (what you wrote there "
                "stays, with your name), deletes your journal, profile and notes from the server for good, and "
                "then from this device."
            </p>
            <Show
                when=move || open.get()
                fallback=move || {
                    view! {
                        <button class="secondary" on:click=move |_| open.set(true)>
                            "Erase my account…"
                        </button>
                    }
                }
            >
                <p>
                    "First, keep what you want: "
                    <a href="#export-heading">"download your journal and experiment"</a>
                    ". Nothing can bring it back afterwards."
                </p>
                <label for="erase-confirm">"Type ERASE to confirm"</label>
                <input
                    id="erase-confirm"
                    type="text"
                    autocomplete="off"
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                />
                <div class="actions">
                    <button class="danger" disabled=move || !ready() on:click=erase>
                        "Erase everything"
                    </button>
                    <button class="secondary" on:click=move |_| open.set(false)>
                        "Cancel"
                    </button>
                </div>
            </Show>
            <p role="status" class="hint">
                {move || said.get()}
            </p>
        </section>
    }
}
