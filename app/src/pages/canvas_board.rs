//! The canvas as a board: the six boxes at a glance, each with what it says so far, who wrote
//! in it last and when, its open comments, and who is in it now. One column on a phone, two or
//! three on wider screens; a box opens for writing with a tap.

use amplify::Canvas;
use leptos::prelude::*;

use super::canvas_boxes::{BOXES, CanvasBox, Mode, Presence, editing_now, written_by};
use crate::{documents::DocHandle, ui::words};

/// How much of a box's text a card shows.
const PREVIEW_CHARS: usize = 140;

#[component]
pub fn Board(handle: DocHandle<Canvas>, current: RwSignal<usize>, mode: RwSignal<Mode>) -> impl IntoView {
    view! {
        <ul class="board" data-testid="board">
            {BOXES
                .iter()
                .enumerate()
                .map(|(i, b)| view! { <BoardCard b=*b i handle current mode /> })
                .collect_view()}
        </ul>
    }
}

#[component]
fn BoardCard(
    b: CanvasBox,
    i: usize,
    handle: DocHandle<Canvas>,
    current: RwSignal<usize>,
    mode: RwSignal<Mode>,
) -> impl IntoView {
    let presence = expect_context::<Presence>();
    let preview = move || handle.with(|c| preview(b, c));
    let written = move || handle.with(|c| b.last_edit(c)).map(|e| written_by(&e));
    let comments = move || {
        let parts = b.parts();
        handle.with(|c| {
            c.comments().iter().filter(|c| c.resolved_by.is_none() && parts.contains(&c.on.as_str())).count()
        })
    };
    let here = move || editing_now(&presence.in_parts(&b.parts()));
    view! {
        <li class="card board-card">
            <h2>{b.title()}</h2>
            <p class="preview" dir="auto">
                {move || preview().unwrap_or_else(|| "Nothing yet.".to_owned())}
            </p>
            <p class="meta">
                {move || {
                    written()
                        .map(|w| format!("Last written by {w}"))
                        .unwrap_or_else(|| "Not written yet".to_owned())
                }}
            </p>
            <p class="meta board-facts">
                <span>
                    {move || match comments() {
                        0 => "No open comments".to_owned(),
                        n => words::count(n, "open comment", "open comments"),
                    }}
                </span>
                <span class="badge editing">{here}</span>
            </p>
            <button
                class="secondary"
                on:click=move |_| {
                    current.set(i);
                    mode.set(Mode::OneBox);
                }
            >
                {format!("Open {}", b.title().to_lowercase())}
            </button>
        </li>
    }
}

/// The start of what a box says: its fields' text, the assumptions or the evidence, one after
/// the other, cut at a word near [`PREVIEW_CHARS`].
fn preview(b: CanvasBox, canvas: &Canvas) -> Option<String> {
    let lines: Vec<String> = match b {
        CanvasBox::Assumptions => canvas.assumptions().into_iter().map(|a| a.text).collect(),
        CanvasBox::Evidence => canvas.evidence().into_iter().map(|e| e.text).collect(),
        CanvasBox::Section(_) => b.fields().into_iter().map(|f| canvas.get(f)).collect(),
    };
    let text = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" · ");
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= PREVIEW_CHARS {
        return Some(text);
    }
    let cut: String = text.chars().take(PREVIEW_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head).trim_end();
    Some(format!("{cut}…"))
}
