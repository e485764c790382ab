//! Small pieces the pages share: the save status, the update banner, document health alerts.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use crate::{
    platform,
    repo::{DocHandle, Health, Recovery, Repo, SaveState},
    sync::{Phase, Sync},
    update::Update,
};

/// "Saved on this device", or why not: one line for every document, announced politely.
#[component]
pub fn SaveStatus() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let state = move || repo.save_state();
    view! {
        <p
            class="save-status"
            class:failed=move || matches!(state(), SaveState::Failed(_))
            role="status"
            aria-live="polite"
            data-testid="save-status"
        >
            {move || state().message()}
        </p>
    }
}

/// Where sync stands: "Synced", "3 changes waiting", "Offline — saved on this device", or
/// "Can't reach the relay: …".
#[component]
pub fn SyncBadge() -> impl IntoView {
    let sync = expect_context::<Sync>();
    let problem = move || matches!(sync.phase(), Phase::Unreachable(_));
    view! {
        <p class="sync-badge" class:problem=problem role="status" aria-live="polite" data-testid="sync-status">
            {move || sync.badge()}
        </p>
    }
}

/// Why the relay keeps refusing this device's changes (not registered, storage full), in
/// words, with what to do. The changes wait on the device meanwhile.
#[component]
pub fn SyncProblem() -> impl IntoView {
    let sync = expect_context::<Sync>();
    view! {
        <Show when=move || sync.problem().is_some()>
            <div class="banner problem" role="status" data-testid="sync-problem">
                <span>{move || sync.problem().map(|p| p.message())}</span>
                <Show when=move || sync.problem() == Some(crate::sync::Problem::NotRegistered)>
                    <A href="/settings">"Enter the code in Settings"</A>
                </Show>
            </div>
        </Show>
    }
}

/// `text` as a QR code: an SVG of the dark modules, with the text as its accessible name.
#[component]
pub fn Qr(#[prop(into)] text: String, #[prop(into)] label: String) -> impl IntoView {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return view! { <p>"This link is too long for a QR code; copy it instead."</p> }.into_any();
    };
    let width = code.width();
    let mut path = String::new();
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let (x, y) = (i % width + 4, i / width + 4);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let size = width + 8;
    view! {
        <svg
            class="qr"
            viewBox=format!("0 0 {size} {size}")
            role="img"
            aria-label=label
            shape-rendering="crispEdges"
        >
            <rect width=size.to_string() height=size.to_string() fill="#ffffff"></rect>
            <path d=path fill="#000000"></path>
        </svg>
    }
    .into_any()
}

/// An invite link to show: the link (to copy), its QR code, and what it gives away.
#[component]
pub fn InvitePanel(#[prop(into)] link: String, #[prop(into)] warning: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let for_copy = link.clone();
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&for_copy);
            copied.set(true);
        }
    };
    view! {
        <div class="invite">
            <p class="hint">{warning}</p>
            <label for="invite-link">"Invite link"</label>
            <div class="row">
                <input id="invite-link" type="text" readonly=true prop:value=link.clone() data-testid="invite-link" />
                <button class="secondary" on:click=copy>"Copy"</button>
            </div>
            <p role="status" class="hint">{move || if copied.get() { "Copied." } else { "" }}</p>
            <Qr text=link label="QR code of the invite link: scan it with the other phone's camera" />
        </div>
    }
}

/// A textarea bound to text in a document. It is not re-rendered as the person types; when the
/// document changes under it (another tab, another device), the new text is copied in and the
/// caret keeps its place in the words around it.
#[component]
pub fn SyncedText(
    #[prop(into)] id: String,
    text: Memo<String>,
    on_edit: impl Fn(String) + 'static,
    #[prop(optional)] rows: Option<u32>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let area = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        let new = text.get();
        let Some(area) = area.get() else { return };
        let old = area.value();
        if old == new {
            return;
        }
        let caret = area.selection_start().ok().flatten();
        area.set_value(&new);
        if let Some(caret) = caret {
            let caret = shifted_caret(&old, &new, caret);
            let _ = area.set_selection_range(caret, caret);
        }
    });
    view! {
        <textarea
            id=id
            node_ref=area
            dir="auto"
            rows=rows.unwrap_or(8).to_string()
            autofocus=autofocus
            prop:value=text.get_untracked()
            on:input=move |ev| on_edit(event_target_value(&ev))
        ></textarea>
    }
}

/// A one-line field bound to text in a document, like [`SyncedText`].
#[component]
pub fn SyncedInput(
    #[prop(into)] id: String,
    text: Memo<String>,
    on_edit: impl Fn(String) + 'static,
    #[prop(optional, into)] describedby: Option<String>,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        let new = text.get();
        let Some(input) = input.get() else { return };
        let old = input.value();
        if old == new {
            return;
        }
        let caret = input.selection_start().ok().flatten();
        input.set_value(&new);
        if let Some(caret) = caret {
            let caret = shifted_caret(&old, &new, caret);
            let _ = input.set_selection_range(caret, caret);
        }
    });
    view! {
        <input
            id=id
            node_ref=input
            type="text"
            dir="auto"
            aria-describedby=describedby
            prop:value=text.get_untracked()
            on:input=move |ev| on_edit(event_target_value(&ev))
        />
    }
}

/// Where a caret at `caret` (UTF-16 units, as the DOM counts) belongs once `old` became `new`:
/// moved by the size of the change if the change was before it.
fn shifted_caret(old: &str, new: &str, caret: u32) -> u32 {
    let prefix: usize =
        old.chars().zip(new.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf16()).sum();
    if (caret as usize) <= prefix {
        return caret;
    }
    let delta = new.encode_utf16().count() as i64 - old.encode_utf16().count() as i64;
    (i64::from(caret) + delta).clamp(prefix as i64, new.encode_utf16().count() as i64) as u32
}

/// "A new version is ready — reload", shown until the person chooses to reload.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let update = expect_context::<Update>();
    let repo = expect_context::<Repo>();
    let reloading = RwSignal::new(false);
    view! {
        <Show when=move || update.ready.get()>
            <div class="banner" role="status">
                <span>"A new version of Amplify is ready."</span>
                <button
                    disabled=move || reloading.get()
                    on:click=move |_| {
                        reloading.set(true);
                        spawn_local(update.apply(repo));
                    }
                >
                    {move || if reloading.get() { "Saving, then reloading…" } else { "Reload" }}
                </button>
            </div>
        </Show>
    }
}

/// Shown when the browser lets Amplify keep nothing on the device.
#[component]
pub fn StorageProblem() -> impl IntoView {
    let repo = expect_context::<Repo>();
    move || {
        repo.storage_error.get().map(|e| {
            view! {
                <div class="alert" role="alert">
                    <strong>"Amplify can't save on this device. "</strong>
                    {e.to_string()}
                    ". What you write now will be lost when the page closes."
                </div>
            }
        })
    }
}

/// A [`HealthAlert`] for each journal volume that needs one.
#[component]
pub fn JournalAlerts() -> impl IntoView {
    let repo = expect_context::<Repo>();
    move || {
        repo.journal
            .volumes()
            .into_iter()
            .map(|v| view! { <HealthAlert handle=v.handle name=doc_name(&v.handle.id()) /> })
            .collect_view()
    }
}

/// How a person would name the document stored as `id`: "journal for November 2026".
pub fn doc_name(id: &str) -> String {
    match amplify::volume_month(id) {
        Some(month) => format!("journal for {}", platform::month_label(month)),
        None => id.to_owned(),
    }
}

/// What went wrong opening one document, in words, with a way forward. What went wrong
/// technically stays out of it: Settings keeps that, with the set-aside bytes, for support.
#[component]
pub fn HealthAlert<M: amplify::Model + 'static>(
    handle: DocHandle<M>,
    #[prop(into)] name: String,
) -> impl IntoView {
    let sync = expect_context::<Sync>();
    let dismissed = RwSignal::new(false);
    let name = StoredValue::new(name);
    let comes_back = move || match sync.phase() {
        Phase::Connected { .. } => "Amplify is fetching it from the relay now.",
        _ => "Whatever reached the relay will come back from the relay when you are online.",
    };
    move || {
        let name = name.get_value();
        match handle.health() {
            Health::Unreadable { recovery: Recovery::Waiting, .. } => Some(
                view! {
                    <div class="alert" role="alert" data-testid="health-alert">
                        <p>
                            <strong>{format!("Your {name} could not be read.")}</strong>
                            " It has been set aside on this device, not deleted. "
                            {comes_back}
                        </p>
                        <button class="secondary" on:click=move |_| handle.start_fresh()>
                            {format!("Start a new {name} now")}
                        </button>
                    </div>
                }
                .into_any(),
            ),
            Health::Unreadable { recovery: Recovery::NotOnRelay, .. } => Some(
                view! {
                    <div class="alert" role="alert" data-testid="health-alert">
                        <p>
                            <strong>{format!("Your {name} could not be read, and the relay has no copy of it.")}</strong>
                            " The damaged data has been set aside on this device, not deleted: Settings keeps it for support."
                        </p>
                        <button on:click=move |_| handle.start_fresh()>{format!("Start a new {name}")}</button>
                    </div>
                }
                .into_any(),
            ),
            Health::Damaged { recovery: Recovery::Waiting, .. } if !dismissed.get() => Some(
                view! {
                    <div class="alert" role="alert" data-testid="health-alert">
                        <p>
                            <strong>{format!("Part of your {name} is not on this device right now.")}</strong>
                            " A saved record could not be read, so what was written after it may be missing too. "
                            "The record has been set aside, not deleted, and you can keep writing. "
                            {comes_back}
                        </p>
                        <button on:click=move |_| dismissed.set(true)>"OK"</button>
                    </div>
                }
                .into_any(),
            ),
            Health::Damaged { recovery: Recovery::NotOnRelay, .. } if !dismissed.get() => Some(
                view! {
                    <div class="alert" role="alert" data-testid="health-alert">
                        <p>
                            <strong>{format!("Some edits to your {name} could not be read, and the relay does not have them either.")}</strong>
                            " Everything else is here. The damaged record has been set aside on this device, not deleted: "
                            "Settings keeps it for support."
                        </p>
                        <button on:click=move |_| dismissed.set(true)>"OK"</button>
                    </div>
                }
                .into_any(),
            ),
            _ => None,
        }
    }
}

/// Whether a document can be written to now.
pub fn writable(health: &Health) -> bool {
    matches!(health, Health::Ready | Health::Damaged { .. })
}
