//! Settings: how safe the data on this device is, the theme, and data that was set aside.

use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;

use super::devices::{DevicesSection, EraseSection};
use crate::{
    documents::Repo,
    platform::{self, StorageReport, Theme},
    storage::SetAside,
    sync::SyncHandle,
    ui::doc_name,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <section class="page settings">
            <h1>"Settings"</h1>
            <DevicesSection />
            <RegistrationSection />
            <StorageSection />
            <ExportSection />
            <ThemeSection />
            <SetAsideSection />
            <EraseSection />
            <section class="card" aria-labelledby="about-heading">
                <h2 id="about-heading">"About"</h2>
                <p>{concat!("Amplify ", env!("CARGO_PKG_VERSION"))}</p>
            </section>
        </section>
    }
}

/// The programme's registration with the server: what lets the relay keep this person's data.
#[component]
fn RegistrationSection() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let code = RwSignal::new(String::new());
    let said = RwSignal::new(String::new());
    let registered = move || crate::actions::registration(&repo).is_some();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match amplify::RegistrationKey::parse_code(&code.get_untracked()) {
            Ok(key) => spawn_local(async move {
                match crate::actions::use_registration(repo, sync, key).await {
                    Ok(()) => {
                        code.set(String::new());
                        said.set("Saved. Your changes go to the server now.".to_owned());
                    }
                    Err(e) => said.set(format!("It could not be kept: {e}")),
                }
            }),
            Err(e) => said.set(format!("That code does not read: {e}")),
        }
    };
    view! {
        <section class="card" aria-labelledby="registration-heading">
            <h2 id="registration-heading">"Server registration"</h2>
            <p>
                {move || {
                    if registered() {
                        "This device is registered with your programme's server: it keeps a copy of your changes."
                    } else {
                        "This device is not registered with a server yet, so your changes stay on this device only. \
                     Open your programme's invite link, or enter the registration code your programme team gave you."
                    }
                }}
            </p>
            <form class="stack" on:submit=save>
                <label for="registration-code">"Registration code"</label>
                <input
                    id="registration-code"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev))
                />
                <button type="submit" class="secondary">
                    "Save the code"
                </button>
                <p role="status" class="hint">
                    {move || said.get()}
                </p>
            </form>
        </section>
    }
}

/// One's own data, to take away.
#[component]
pub(super) fn ExportSection() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let entries = move || {
        repo.journal
            .days(&amplify::Query::default(), None)
            .into_iter()
            .flat_map(|d| d.entries)
            .collect::<Vec<_>>()
    };
    let canvas = move || {
        let (space, _) = repo.groups().into_iter().next()?;
        let person = repo.person()?;
        let id = amplify::DocId::Canvas(space, person);
        repo.handles_in::<amplify::Canvas>(space).into_iter().find_map(|(doc, h)| (doc == id).then_some(h))
    };
    let save = |name: &str, mime: &str, text: String| {
        if let Err(e) = platform::download(name, mime, text.as_bytes()) {
            platform::warn(&format!("the download of {name} did not start: {e:?}"));
        }
    };
    let ready = move || repo.loaded.get() && !repo.journal.is_loading();
    view! {
        <section class="card" aria-labelledby="export-heading">
            <h2 id="export-heading">"Your data"</h2>
            <p>"Download what you wrote: Markdown to read, JSON to keep or move elsewhere."</p>
            // A download made before every month is read would leave entries out.
            <Show when=move || !ready()>
                <p role="status" class="hint">
                    "Opening your journal…"
                </p>
            </Show>
            <div class="actions">
                <button
                    class="secondary"
                    disabled=move || !ready()
                    on:click=move |_| save(
                        "amplify-journal.md",
                        "text/markdown",
                        amplify::journal_markdown(&entries()),
                    )
                >
                    "Journal as Markdown"
                </button>
                <button
                    class="secondary"
                    disabled=move || !ready()
                    on:click=move |_| save(
                        "amplify-journal.json",
                        "application/json",
                        amplify::journal_json(&entries()),
                    )
                >
                    "Journal as JSON"
                </button>
            </div>
            {move || {
                canvas()
                    .map(|canvas| {
                        let name = crate::actions::my_name(&repo);
                        let md = move || canvas.with(|c| amplify::canvas_markdown(c, &name));
                        let json = move || canvas.with(amplify::canvas_json);
                        view! {
                            <div class="actions">
                                <button
                                    class="secondary"
                                    on:click=move |_| save("amplify-experiment.md", "text/markdown", md())
                                >
                                    "Experiment as Markdown"
                                </button>
                                <button
                                    class="secondary"
                                    on:click=move |_| save(
                                        "amplify-experiment.json",
                                        "application/json",
                                        json(),
                                    )
                                >
                                    "Experiment as JSON"
                                </button>
                            </div>
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn StorageSection() -> impl IntoView {
    let report = RwSignal::new(None::<StorageReport>);
    let outcome = RwSignal::new(String::new());
    let refresh = move || spawn_local(async move { report.set(Some(platform::storage_report().await)) });
    refresh();
    let persist = move |_| {
        spawn_local(async move {
            let message = match platform::request_persistence().await {
                Some(true) => "Done: this browser will keep Amplify's data.",
                Some(false) => {
                    "The browser said no for now. Installing Amplify to your home screen and using it \
                     regularly usually changes its mind."
                }
                None => "This browser cannot be asked to keep data.",
            };
            outcome.set(message.to_owned());
            report.set(Some(platform::storage_report().await));
        });
    };
    view! {
        <section class="card" aria-labelledby="storage-heading">
            <h2 id="storage-heading">"Data on this device"</h2>
            {move || {
                report
                    .get()
                    .map(|r| {
                        let usage = match (r.usage_bytes, r.quota_bytes) {
                            (Some(used), Some(quota)) => {
                                format!(
                                    "Amplify uses {} of the {} this browser allows it.",
                                    platform::human_bytes(used),
                                    platform::human_bytes(quota),
                                )
                            }
                            _ => "This browser does not say how much space Amplify uses.".to_owned(),
                        };
                        let persisted = match r.persisted {
                            Some(true) => {
                                "Protected: the browser will not clear Amplify's data to free space."
                            }
                            Some(false) => {
                                "Not protected yet: under storage pressure, or after weeks without a visit, \
                                 the browser may clear it."
                            }
                            None => "This browser cannot protect Amplify's data from being cleared.",
                        };
                        view! {
                            <p data-testid="storage-usage">{usage}</p>
                            <p data-testid="storage-persisted">{persisted}</p>
                            {(r.persisted == Some(false))
                                .then(|| {
                                    view! { <button on:click=persist>"Keep my data on this device"</button> }
                                })}
                        }
                    })
            }}
            <p role="status">{move || outcome.get()}</p>
        </section>
    }
}

#[component]
fn ThemeSection() -> impl IntoView {
    let theme = RwSignal::new(Theme::load());
    view! {
        <section class="card" aria-labelledby="theme-heading">
            <fieldset>
                <legend id="theme-heading">"Theme"</legend>
                {Theme::ALL
                    .into_iter()
                    .map(|t| {
                        let id = format!("theme-{t:?}").to_lowercase();
                        view! {
                            <div class="choice">
                                <input
                                    type="radio"
                                    name="theme"
                                    id=id.clone()
                                    prop:checked=move || theme.get() == t
                                    on:change=move |_| {
                                        t.apply();
                                        theme.set(t);
                                    }
                                />
                                <label for=id>{t.label()}</label>
                            </div>
                        }
                    })
                    .collect_view()}
            </fieldset>
        </section>
    }
}

#[component]
fn SetAsideSection() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let records = LocalResource::new(move || async move {
        // Storage opens after the page may have mounted: read once it has.
        if !repo.loaded.get() {
            return Vec::new();
        }
        match repo.storage() {
            Some(storage) => storage.set_aside().await.unwrap_or_default(),
            None => Vec::new(),
        }
    });
    view! {
        <section class="card" aria-labelledby="set-aside-heading">
            <h2 id="set-aside-heading">"Set-aside data"</h2>
            {move || {
                let records = records.get().unwrap_or_default();
                if records.is_empty() {
                    return view! { <p>"Nothing has been set aside. All saved data could be read."</p> }
                        .into_any();
                }
                view! {
                    <p>
                        "Amplify could not read these records, so it moved them aside instead of deleting them. "
                        "Support can use a download to recover what is in them."
                    </p>
                    <ul class="set-aside">
                        {records.into_iter().map(|r| view! { <SetAsideItem record=r /> }).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn SetAsideItem(record: SetAside) -> impl IntoView {
    let when = js_sys::Date::new(&record.at_ms.into())
        .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED);
    let name =
        format!("amplify-{}-{}-{}.bin", record.doc.replace('/', "-"), record.kind, record.at_ms as i64);
    let bytes = record
        .bytes
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
        .unwrap_or_else(|| format!("{:?}", record.bytes).into_bytes());
    view! {
        <li>
            <p>
                <strong>
                    {format!(
                        "Your {} ({})",
                        record.doc.parse().map_or_else(|_| record.doc.clone(), doc_name),
                        record.kind,
                    )}
                </strong>
                {format!(", set aside {}.", String::from(when))}
            </p>
            <details>
                <summary>"Technical details"</summary>
                <p class="detail">{record.reason}</p>
            </details>
            <button
                class="secondary"
                on:click=move |_| {
                    if let Err(e) = platform::download(&name, "application/octet-stream", &bytes) {
                        platform::warn(&format!("the download of {name} did not start: {e:?}"));
                    }
                }
            >
                "Download"
            </button>
        </li>
    }
}
