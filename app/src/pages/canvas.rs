//! The experiment canvas, co-edited by the home group. Small screens first: one box at a time
//! with Previous and Next, or an outline of the whole canvas; nothing needs dragging.

use std::time::Duration;

use amplify::{Canvas, ChangeHash, DocId, Field, Group, PersonId, SpaceId, Stage};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_params_map},
};

use super::{
    canvas_board::Board,
    canvas_boxes::{BOXES, BoxView, Mode, Outline, Presence, Touched},
};
use crate::{
    actions,
    documents::{DocHandle, Repo, SaveState, mark_seen, seen_heads},
    sync::SyncHandle,
    ui::HealthAlert,
};

/// `/experiment`: this person's own canvas, in their home group.
#[component]
pub fn ExperimentPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if !repo.loaded.get() {
            return;
        }
        if let (Some((space, _)), Some(person)) = (repo.groups().into_iter().next(), repo.person()) {
            navigate(
                &format!("/canvas/{space}/{person}"),
                NavigateOptions { replace: true, ..Default::default() },
            );
        }
    });
    view! {
        <section class="page">
            <h1>"Your experiment"</h1>
            <Show when=move || repo.loaded.get() fallback=|| view! { <p role="status">"Opening…"</p> }>
                <p>
                    "Your experiment canvas lives with your home group: they help you shape it, and only they can read it."
                </p>
                <A href="/group" attr:class="button">
                    "Start or join your home group"
                </A>
            </Show>
        </section>
    }
}

/// `/canvas/:space/:person`.
#[component]
pub fn CanvasPage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let params = use_params_map();
    let space = Memo::new(move |_| params.with(|p| p.get("space").and_then(|s| SpaceId::parse(&s))));
    let person = Memo::new(move |_| params.with(|p| p.get("person").and_then(|s| PersonId::parse(&s))));
    let member =
        move || space.get().is_some_and(|s| repo.with_account(|a| a.is_some_and(|a| a.space(s).is_some())));
    let handle = Memo::new(move |_| {
        let space = space.get()?;
        repo.loaded.get().then_some(())?;
        repo.with_account(|a| a.is_some_and(|a| a.space(space).is_some())).then_some(())?;
        repo.handle::<Canvas>(DocId::Canvas(space, person.get()?))
    });
    view! {
        <section class="page canvas">
            {move || match (handle.get(), space.get(), person.get()) {
                (Some(handle), Some(space), Some(person)) => {
                    view! { <CanvasView handle space person /> }.into_any()
                }
                _ if !repo.loaded.get() => view! { <p role="status">"Opening…"</p> }.into_any(),
                _ if !member() => {
                    view! {
                        <h1>"Not your group's canvas"</h1>
                        <p role="alert">
                            "This canvas belongs to a home group you are not in. Only its members can open it."
                        </p>
                        <A href="/group">"Your home groups"</A>
                    }
                        .into_any()
                }
                _ => view! { <h1>"Canvas not found"</h1> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn CanvasView(handle: DocHandle<Canvas>, space: SpaceId, person: PersonId) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let sync = expect_context::<SyncHandle>();
    let me = repo.person().map(|p| p.to_string()).unwrap_or_default();
    let mine = me == person.to_string();
    if mine && handle.with_untracked(|c| c.owner().is_none()) {
        handle.edit(|c| c.set_owner(&person.to_string()));
    }
    let doc_id = handle.id();
    let owner_name = move || {
        let person = person.to_string();
        repo.handle::<Group>(DocId::Group(space))
            .and_then(|g| g.with(|g| g.members().into_iter().find(|m| m.person == person).map(|m| m.name)))
            .unwrap_or_else(|| "A member".to_owned())
    };
    let mode = RwSignal::new(Mode::OneBox);
    let current = RwSignal::new(0usize);
    let changed = RwSignal::new(Vec::<Field>::new());
    let status = RwSignal::new(String::new());

    // "Changed since you last looked": compare with the heads saved while this person last had
    // the canvas open (the baseline). Changes that arrive while the page is open (a phone back
    // online catching up) are marked too; fields this person edits here are not news to them.
    // What the page shows counts as seen, so the stored heads follow the document at once (the
    // person may leave the moment a change arrives), but not while their own edit waits for its
    // save: reading heads would commit the typing one keystroke at a time.
    let previous_read = RwSignal::new(false);
    let baseline = StoredValue::new_local(None::<Vec<ChangeHash>>);
    let touched = RwSignal::new(Vec::<Field>::new());
    provide_context(Touched(touched));
    spawn_local(async move {
        baseline.set_value(seen_heads(repo, doc_id).await);
        previous_read.set(true);
    });
    Effect::new(move |_| {
        handle.with(|_| ());
        if !previous_read.get() || handle.save_state() != SaveState::Saved {
            return;
        }
        if let Some(heads) = baseline.get_value() {
            let mine = touched.get();
            let news = handle.with_untracked(|c| c.changed_since(&heads));
            changed.set(news.into_iter().filter(|f| !mine.contains(f)).collect());
        }
        mark_seen(repo, doc_id, &handle.heads());
    });

    // Presence: say we are here (and in which part) every ten seconds while the page is open,
    // and at once when this person moves to another part.
    let editing = RwSignal::new(None::<&'static str>);
    let announce = {
        let me = me.clone();
        move || sync.announce(doc_id, &me, &actions::my_name(&repo), editing.get_untracked())
    };
    Effect::new({
        let announce = announce.clone();
        move |_| {
            editing.track();
            announce();
        }
    });
    let ticker = set_interval_with_handle(announce, Duration::from_secs(10)).ok();
    on_cleanup(move || {
        if let Some(t) = ticker {
            t.clear();
        }
    });
    let others = Memo::new(move |_| sync.here(doc_id, &me));
    provide_context(Presence { editing, others });

    let stage = Memo::new(move |_| handle.with(|c| c.stage()));
    let on_stage = move |ev| {
        let value = event_target_value(&ev);
        if let Some(stage) = Stage::from_key(&value) {
            match actions::set_stage(&repo, handle, stage) {
                Ok(()) if stage == Stage::Showcased => {
                    status.set("Published to the cohort's showcase.".to_owned())
                }
                Ok(()) => status.set(format!("Stage: {}.", stage.label())),
                Err(e) => status.set(e.to_string()),
            }
        }
    };

    view! {
        <A href=format!("/group/{space}") attr:class="back">
            "← Home group"
        </A>
        <h1 dir="auto">
            {move || {
                if mine { "Your experiment".to_owned() } else { format!("{}'s experiment", owner_name()) }
            }}
        </h1>
        <HealthAlert handle name="experiment canvas" />
        <p class="presence" role="status" data-testid="presence">
            {move || {
                let names: Vec<String> = others.get().into_iter().map(|(name, _)| name).collect();
                if names.is_empty() { String::new() } else { format!("Also here now: {}", names.join(", ")) }
            }}
        </p>
        <Show when=move || !changed.with(Vec::is_empty)>
            <p class="changed-note" role="status" data-testid="changed-since">
                {move || {
                    format!(
                        "Changed since you last looked: {}",
                        changed
                            .get()
                            .iter()
                            .map(|f| f.label().trim_end_matches('…'))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                }}
            </p>
        </Show>
        <div class="row stage">
            <label for="stage">"Stage"</label>
            <select id="stage" on:change=on_stage>
                {Stage::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <option value=s.key() selected=move || stage.get() == s>
                                {s.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
        <p role="status" class="hint">
            {move || status.get()}
        </p>
        <div class="view-toggle" role="group" aria-label="How to show the canvas">
            {[(Mode::OneBox, "One box at a time"), (Mode::Board, "Board"), (Mode::Outline, "Outline")]
                .into_iter()
                .map(|(m, label)| {
                    view! {
                        <button
                            class="chip"
                            aria-pressed=move || (mode.get() == m).to_string()
                            on:click=move |_| mode.set(m)
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        {move || match mode.get() {
            Mode::OneBox => {
                let index = current.get();
                let b = BOXES[index];
                view! {
                    <nav class="box-nav" aria-label="Canvas boxes">
                        <button
                            class="secondary"
                            disabled=index == 0
                            on:click=move |_| current.update(|i| *i = i.saturating_sub(1))
                        >
                            "← Previous"
                        </button>
                        <span>{format!("Box {} of {}", index + 1, BOXES.len())}</span>
                        <button
                            class="secondary"
                            disabled=index + 1 == BOXES.len()
                            on:click=move |_| current.update(|i| *i = (*i + 1).min(BOXES.len() - 1))
                        >
                            "Next →"
                        </button>
                    </nav>
                    <BoxView b handle changed mine />
                }
                    .into_any()
            }
            Mode::Board => view! { <Board handle current mode /> }.into_any(),
            Mode::Outline => view! { <Outline handle changed current mode /> }.into_any(),
        }}
    }
}
