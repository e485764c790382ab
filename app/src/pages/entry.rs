//! One journal entry, edited in place: every keystroke is saved on its own.

use amplify::{CORE_PROMPTS, Energy, EntryId, Journal, prompt_of_the_day};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_params_map},
};
use wasm_bindgen::JsCast;

use crate::{
    actions,
    documents::{DocHandle, Repo, drafts},
    platform,
    ui::Notices,
    ui::SyncedText,
};

use super::ListAddress;

/// What the entry page shows.
#[derive(Clone, Copy, PartialEq)]
enum Shown {
    Editor(DocHandle<Journal>, EntryId),
    /// Started before the journal could be written (see `drafts`).
    Draft(EntryId),
    /// Not found yet, and older months are still being read.
    Opening,
    Missing,
}

#[component]
pub fn EntryPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let params = use_params_map();
    // Back to the list as it was left: its search and month.
    let back = use_context::<ListAddress>().map_or_else(|| RwSignal::new("/journal".to_owned()), |a| a.0);
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| EntryId::parse(&id))));
    // What the page shows, worked out as a memo: the editor is built once for its entry and
    // stays while the rest of the journal loads (older months finishing must not rebuild it: a
    // rebuilt editor drops the caret mid-word, and the old one's cleanup would discard the
    // entry just started as an empty draft). Typing changes the volume, not this.
    let shown = Memo::new(move |_| {
        let found = id.get().and_then(|id| {
            let handle = repo.journal.find(&id)?;
            let live = handle.with(|j| j.is_live(&id));
            Some((handle, id, live))
        });
        match (found, id.get()) {
            (Some((handle, id, true)), _) => Shown::Editor(handle, id),
            (None, Some(id)) if drafts::get(&id).is_some() => Shown::Draft(id),
            (None, _) if repo.journal.is_loading() => Shown::Opening,
            _ => Shown::Missing,
        }
    });
    view! {
        <section class="page entry">
            <A href=move || back.get() attr:class="back">
                "← Journal"
            </A>
            {move || match shown.get() {
                Shown::Editor(handle, id) => view! { <Editor handle id /> }.into_any(),
                Shown::Draft(id) => view! { <DraftEditor id /> }.into_any(),
                Shown::Opening => view! { <p role="status">"Opening your journal…"</p> }.into_any(),
                Shown::Missing => {
                    view! {
                        <h1>"Entry not found"</h1>
                        <p>"This entry does not exist on this device, or it was deleted."</p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Editor(handle: DocHandle<Journal>, id: EntryId) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let notices = expect_context::<Notices>();
    let navigate = use_navigate();
    let journal = handle;
    let entry = Memo::new(move |_| journal.with(|j| j.entry(&id)));
    // Each part of the entry is a memo of its own: a keystroke changes the body alone, and what
    // reads the tags, the prompt or the energy then does not run again (the tag chips were
    // re-rendered and diffed on every key).
    let body = Memo::new(move |_| entry.with(|e| e.as_ref().map(|e| e.body.clone()).unwrap_or_default()));
    let prompt = Memo::new(move |_| entry.with(|e| e.as_ref().and_then(|e| e.prompt.clone())));
    let energy = Memo::new(move |_| entry.with(|e| e.as_ref().and_then(|e| e.energy)));
    let tags = Memo::new(move |_| entry.with(|e| e.as_ref().map(|e| e.tags.clone()).unwrap_or_default()));
    let tag_draft = RwSignal::new(String::new());
    let today_prompt = prompt_of_the_day(platform::now().local_date());

    let prompts = {
        let current = entry.with_untracked(|e| e.as_ref().and_then(|e| e.prompt.clone()));
        let mut list: Vec<String> = CORE_PROMPTS.iter().map(|p| p.to_string()).collect();
        for extra in [Some(today_prompt.to_owned()), current] {
            if let Some(extra) = extra.filter(|p| !list.contains(p)) {
                list.push(extra);
            }
        }
        list
    };

    let add_tag = move || {
        let draft = tag_draft.get_untracked();
        for raw in draft.split(',') {
            journal.edit(|j| j.add_tag(&id, raw));
        }
        tag_draft.set(String::new());
    };
    let add_tag_on_key = add_tag;
    let delete = move |_| {
        journal.edit(|j| j.delete(&id, platform::now().utc_ms));
        notices.show_with_action("Entry deleted.", "Undo", move || {
            journal.edit(|j| j.restore(&id));
        });
        navigate("/journal", NavigateOptions::default());
    };

    // An entry left with nothing in it is a draft nobody wants to see in the list.
    on_cleanup(move || {
        let empty = journal.with(|j| {
            j.entry(&id).is_some_and(|e| {
                e.deleted.is_none() && e.body.trim().is_empty() && e.tags.is_empty() && e.energy.is_none()
            })
        });
        if empty {
            journal.edit(|j| j.delete(&id, platform::now().utc_ms));
        }
    });

    // A draft that just became this entry: the caret goes back where it was in its text box,
    // unless the person had moved elsewhere. A turn later: the draft's box may still be in the
    // page while this one's effects first run.
    if drafts::has_caret(&id) {
        spawn_local(async move {
            platform::sleep(std::time::Duration::ZERO).await;
            let Some((start, end)) = drafts::take_caret(&id) else { return };
            let document = document();
            if document
                .active_element()
                .is_some_and(|active| active.tag_name() != "BODY" && active.id() != "body")
            {
                return;
            }
            if let Some(body) = document.get_element_by_id("body")
                && let Ok(body) = body.dyn_into::<web_sys::HtmlTextAreaElement>()
            {
                let _focus_is_a_nicety = body.focus();
                let _caret_too = body.set_selection_range(start, end);
            }
        });
    }

    let written = entry.with_untracked(|e| e.as_ref().map(|e| e.written)).unwrap_or_else(platform::now);
    let when = format!(
        "{} at {}",
        platform::day_label(written.local_date(), platform::now().local_date()),
        platform::clock(written)
    );

    view! {
        <h1 class="visually-hidden">"Journal entry"</h1>
        <p class="when">{when}</p>

        <label for="prompt">"Prompt"</label>
        <select
            id="prompt"
            on:change=move |ev| {
                let value = event_target_value(&ev);
                journal.edit(|j| j.set_prompt(&id, (!value.is_empty()).then_some(value.as_str())));
            }
        >
            <option value="" selected=move || prompt.with(Option::is_none)>
                "Free writing (no prompt)"
            </option>
            {prompts
                .into_iter()
                .map(|p| {
                    let value = p.clone();
                    let is_current = move || prompt.with(|p| p.as_ref() == Some(&value));
                    view! {
                        <option value=p.clone() selected=is_current>
                            {p.clone()}
                        </option>
                    }
                })
                .collect_view()}
        </select>

        <label for="body">{move || { prompt.get().unwrap_or_else(|| "Your entry".to_owned()) }}</label>
        <SyncedText
            id="body"
            text=body
            rows=10
            autofocus=true
            on_edit=move |text: String| {
                journal.edit(|j| j.set_body(&id, &text));
                actions::refresh_shared(&repo, journal, &id);
            }
        />

        <fieldset class="energy">
            <legend>"Energy"</legend>
            <div class="scale">
                {Energy::ALL
                    .into_iter()
                    .map(|level| {
                        let input_id = format!("energy-{}", level.level());
                        view! {
                            <input
                                type="radio"
                                name="energy"
                                id=input_id.clone()
                                prop:checked=move || energy.get() == Some(level)
                                on:change=move |_| {
                                    journal.edit(|j| j.set_energy(&id, Some(level)));
                                }
                            />
                            <label for=input_id>{level.label()}</label>
                        }
                    })
                    .collect_view()}
            </div>
        </fieldset>

        <div class="tag-editor">
            <label for="tag-input">"Add a tag"</label>
            <div class="row">
                <input
                    id="tag-input"
                    type="text"
                    dir="auto"
                    placeholder="e.g. feedback"
                    enterkeyhint="done"
                    prop:value=move || tag_draft.get()
                    on:input=move |ev| tag_draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" || ev.key() == "," {
                            ev.prevent_default();
                            add_tag_on_key();
                        }
                    }
                />
                <button class="secondary" on:click=move |_| add_tag()>
                    "Add"
                </button>
            </div>
            <ul class="tags" aria-label="Tags">
                {move || {
                    tags.get()
                        .into_iter()
                        .map(|tag| {
                            let remove = tag.clone();
                            view! {
                                <li class="chip">
                                    <span dir="auto">{format!("#{tag}")}</span>
                                    <button
                                        class="icon-button"
                                        aria-label=format!("Remove tag {tag}")
                                        on:click=move |_| {
                                            journal.edit(|j| j.remove_tag(&id, &remove));
                                        }
                                    >
                                        "×"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>

        <ShareWithCoach id journal />
        <div class="entry-actions">
            <button class="danger" on:click=delete>
                "Delete entry"
            </button>
        </div>
        <p class="hint">{move || body.with(|b| format!("{} words", b.split_whitespace().count()))}</p>
    }
}

/// An entry started before the journal could be written: its text, kept on the device with
/// every keystroke, until it becomes the entry (then [`Editor`] takes over, caret and all).
#[component]
fn DraftEditor(id: EntryId) -> impl IntoView {
    let draft = drafts::get(&id).unwrap_or_else(|| drafts::Draft {
        written: platform::now(),
        prompt: None,
        body: String::new(),
    });
    let typed = RwSignal::new(draft.body.clone());
    let body = Memo::new(move |_| typed.get());
    // Whether the device took the last keystroke's copy (localStorage can be full).
    let kept = RwSignal::new(true);
    let (written, prompt) = (draft.written, draft.prompt.clone());
    // Where the caret is, as it moves (typing, arrows, a tap), for the entry's editor to put it
    // back when the draft becomes the entry.
    let follow_caret = move |ev: &web_sys::Event| {
        if let Some(area) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
            let start = area.selection_start().ok().flatten().unwrap_or(0);
            let end = area.selection_end().ok().flatten().unwrap_or(start);
            drafts::hand_over_caret(id, start, end);
        }
    };
    on_cleanup(move || {
        // Left with nothing in it: a draft nobody wants to see in the list.
        if typed.get_untracked().trim().is_empty() {
            drafts::discard(&id);
        }
    });
    let when = format!(
        "{} at {}",
        platform::day_label(draft.written.local_date(), platform::now().local_date()),
        platform::clock(draft.written)
    );
    view! {
        <h1 class="visually-hidden">"Journal entry"</h1>
        <p class="when">{when}</p>
        <label for="body">{draft.prompt.clone().unwrap_or_else(|| "Your entry".to_owned())}</label>
        <div
            class="draft"
            on:input=move |ev| follow_caret(&ev)
            on:keyup=move |ev| follow_caret(&ev)
            on:pointerup=move |ev| follow_caret(&ev)
            on:focusin=move |ev| follow_caret(&ev)
        >
            <SyncedText
                id="body"
                text=body
                rows=10
                autofocus=true
                on_edit=move |text: String| {
                    let draft = drafts::Draft {
                        written,
                        prompt: prompt.clone(),
                        body: text,
                    };
                    kept.set(drafts::keep(id, &draft));
                    typed.set(draft.body);
                }
            />
        </div>
        <p class="hint" role="status" data-testid="draft-status">
            {move || {
                if kept.get() {
                    "Kept on this device. The prompt, energy and tags open in a moment, as your journal finishes opening."
                } else {
                    "This device's storage is full: your words are safe while this page stays open, and go into your journal as soon as it opens."
                }
            }}
        </p>
    }
}

/// Sharing this one entry with a coach, and stopping, said plainly.
#[component]
fn ShareWithCoach(id: EntryId, journal: DocHandle<Journal>) -> impl IntoView {
    let repo = expect_context::<Repo>();
    // A memo, so that the account changing for other reasons (sync, upkeep) leaves each card and
    // its confirmation as they are.
    let coaches = Memo::new(move |_| actions::my_coaches(&repo));
    view! {
        <For each=move || coaches.get() key=|space| *space let:space>
            <ShareWith space id journal />
        </For>
    }
}

/// Sharing with the coach of one coaching pair.
#[component]
fn ShareWith(space: amplify::SpaceId, id: EntryId, journal: DocHandle<Journal>) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let coach = move || {
        repo.handle::<amplify::Coaching>(amplify::DocId::Coaching(space))
            .map(|c| c.with(|c| c.pair().coach_name))
            .unwrap_or_default()
    };
    let shared = move || actions::shared_copy(&repo, space, &id).is_some();
    let confirming = RwSignal::new(false);
    let share = move |_| {
        if let Some(entry) = journal.with_untracked(|j| j.entry(&id)) {
            spawn_local(async move { actions::share_entry(&repo, space, &entry).await });
        }
    };
    let unshare = move |_| {
        confirming.set(false);
        spawn_local(async move { actions::unshare_entry(&repo, space, &id).await });
    };
    view! {
        <section class="card share" aria-label=move || format!("Sharing with {}", coach())>
            {move || match (shared(), confirming.get()) {
                (false, _) => {
                    view! {
                        <p>
                            {move || {
                                format!(
                                    "Only you can read this entry. You can share it with your coach, {}.",
                                    coach(),
                                )
                            }}
                        </p>
                        <button class="secondary" on:click=share>
                            {move || format!("Share with {}", coach())}
                        </button>
                    }
                        .into_any()
                }
                (true, false) => {
                    view! {
                        <p role="status">{move || format!("Shared with {}.", coach())}</p>
                        <button class="secondary" on:click=move |_| confirming.set(true)>
                            "Stop sharing"
                        </button>
                    }
                        .into_any()
                }
                (true, true) => {
                    view! {
                        <p role="alert">
                            {move || {
                                format!(
                                    concat!(
                                        "{} may already have read this entry. If you stop sharing, it disappears from ",
                                        "their devices the next time they sync.",
                                    ),
                                    coach(),
                                )
                            }}
                        </p>
                        <div class="actions">
                            <button class="danger" on:click=unshare>
                                "Stop sharing"
                            </button>
                            <button class="secondary" on:click=move |_| confirming.set(false)>
                                "Keep sharing"
                            </button>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
