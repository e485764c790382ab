//! The boxes of a canvas: each section's fields with their comments, the assumptions, the
//! evidence log, the decision, publishing, and the outline of the whole canvas.

use amplify::{Canvas, Decision, Edit, Field, Risk, Section};
use leptos::{ev::SubmitEvent, prelude::*};

use crate::{
    actions,
    documents::{DocHandle, Repo},
    platform,
    ui::{SyncedInput, SyncedText},
};

/// The boxes of the canvas, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanvasBox {
    Section(Section),
    Assumptions,
    Evidence,
}

pub const BOXES: [CanvasBox; 6] = [
    CanvasBox::Section(Section::Problem),
    CanvasBox::Assumptions,
    CanvasBox::Section(Section::TestCard),
    CanvasBox::Evidence,
    CanvasBox::Section(Section::LearningCard),
    CanvasBox::Section(Section::Decision),
];

impl CanvasBox {
    pub fn title(self) -> &'static str {
        match self {
            CanvasBox::Section(s) => s.title(),
            CanvasBox::Assumptions => "Assumptions",
            CanvasBox::Evidence => "Evidence log",
        }
    }

    pub fn fields(self) -> Vec<Field> {
        match self {
            CanvasBox::Section(s) => Field::ALL.into_iter().filter(|f| f.section() == s).collect(),
            _ => Vec::new(),
        }
    }

    /// The parts the box holds, as comments, presence and "who wrote it" name them.
    pub fn parts(self) -> Vec<&'static str> {
        match self {
            CanvasBox::Section(Section::Decision) => {
                std::iter::once(DECISION).chain(self.fields().into_iter().map(Field::key)).collect()
            }
            CanvasBox::Section(_) => self.fields().into_iter().map(Field::key).collect(),
            CanvasBox::Assumptions => vec![ASSUMPTIONS],
            CanvasBox::Evidence => vec![EVIDENCE],
        }
    }

    /// Who wrote in the box last, and when.
    pub fn last_edit(self, canvas: &Canvas) -> Option<Edit> {
        let mut edits: Vec<Edit> = self.parts().into_iter().filter_map(|part| canvas.edited(part)).collect();
        if self == CanvasBox::Evidence {
            edits.extend(canvas.evidence().into_iter().map(|e| Edit {
                person: String::new(),
                name: e.by,
                at_ms: e.at_ms,
            }));
        }
        edits.into_iter().max_by_key(|e| e.at_ms)
    }
}

/// Parts of the canvas that are not a text field.
pub const ASSUMPTIONS: &str = "assumptions";
pub const EVIDENCE: &str = "evidence";
pub const DECISION: &str = "decision";

/// How the canvas is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One box at a time, with Previous and Next: the phone's way to write.
    OneBox,
    /// The six boxes at a glance: what each says, who wrote last, who is in it now.
    Board,
    /// Every box's text, to read through.
    Outline,
}

/// Who is on the canvas now, and where this person is editing (see [`Canvas::note_edit`] for
/// who wrote what).
#[derive(Clone, Copy)]
pub struct Presence {
    /// The part this person is in now (it is announced to the others).
    pub editing: RwSignal<Option<&'static str>>,
    /// The others here now: their names, and the part each is in.
    pub others: Memo<Vec<(String, Option<String>)>>,
}

impl Presence {
    /// The names of the others in any of `parts` now.
    pub fn in_parts(&self, parts: &[&str]) -> Vec<String> {
        self.others.with(|others| {
            others
                .iter()
                .filter(|(_, at)| at.as_deref().is_some_and(|at| parts.contains(&at)))
                .map(|(name, _)| name.clone())
                .collect()
        })
    }
}

/// "Sam is editing", "Sam and Olu are editing".
pub fn editing_now(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} is editing"),
        [rest @ .., last] => format!("{} and {last} are editing", rest.join(", ")),
    }
}

/// "Maya · 2 Dec, 14:05": who wrote last and when.
pub fn written_by(edit: &Edit) -> String {
    let name = if edit.name.trim().is_empty() { "A member" } else { edit.name.as_str() };
    format!("{name} · {}", platform::date_time(edit.at_ms))
}

/// Edits the canvas's `part` and notes that this person wrote it, now.
pub fn edit_part<R>(
    repo: Repo,
    handle: DocHandle<Canvas>,
    part: &str,
    f: impl FnOnce(&mut Canvas) -> R,
) -> R {
    let person = repo.person().map(|p| p.to_string()).unwrap_or_default();
    let name = actions::my_name(&repo);
    handle.edit(|c| {
        let result = f(c);
        c.note_edit(part, &person, &name, platform::now().utc_ms);
        result
    })
}

#[component]
pub fn BoxView(
    b: CanvasBox,
    handle: DocHandle<Canvas>,
    changed: RwSignal<Vec<Field>>,
    mine: bool,
) -> impl IntoView {
    let body = match b {
        CanvasBox::Section(_) => {
            let decision = matches!(b, CanvasBox::Section(Section::Decision));
            view! {
                {decision.then(|| view! { <DecisionPicker handle /> })}
                {b
                    .fields()
                    .into_iter()
                    .map(|f| view! { <FieldEditor field=f handle changed /> })
                    .collect_view()}
                {(decision && mine).then(|| view! { <Publish handle /> })}
            }
            .into_any()
        }
        CanvasBox::Assumptions => view! { <Assumptions handle /> }.into_any(),
        CanvasBox::Evidence => view! { <EvidenceLog handle /> }.into_any(),
    };
    view! {
        <section class="card box" aria-labelledby="box-title">
            <h2 id="box-title">{b.title()}</h2>
            {body}
        </section>
    }
}

#[component]
fn FieldEditor(field: Field, handle: DocHandle<Canvas>, changed: RwSignal<Vec<Field>>) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let Touched(touched) = expect_context::<Touched>();
    let presence = expect_context::<Presence>();
    let id = format!("field-{}", field.key());
    let text = Memo::new(move |_| handle.with(|c| c.get(field)));
    let written = move || handle.with(|c| c.edited(field.key())).map(|e| written_by(&e));
    let others = move || editing_now(&presence.in_parts(&[field.key()]));
    view! {
        <div
            class="field"
            on:focusin=move |_| presence.editing.set(Some(field.key()))
            on:focusout=move |_| presence.editing.set(None)
        >
            <label for=id
                .clone()>
                {field.label()} <Show when=move || changed.with(|c| c.contains(&field))>
                    <span class="badge">" Changed"</span>
                </Show>
            </label>
            <p class="meta field-meta">
                <span data-testid=format!(
                    "written-{}",
                    field.key(),
                )>{move || written().map(|w| format!("Last written by {w}")).unwrap_or_default()}</span>
                <span class="badge editing" data-testid=format!("editing-{}", field.key())>
                    {others}
                </span>
            </p>
            <SyncedText
                id=id
                rows=3
                text
                on_edit=move |value: String| {
                    if !touched.with_untracked(|t| t.contains(&field)) {
                        touched.update(|t| t.push(field));
                    }
                    edit_part(repo, handle, field.key(), |c| c.set(field, &value));
                }
            />
            <Comments handle on=field.key() about=field.label() />
        </div>
    }
}

/// The fields this person edited during this visit to the canvas.
#[derive(Clone, Copy)]
pub struct Touched(pub RwSignal<Vec<Field>>);

/// Comments on one part of the canvas: open ones, then resolved ones folded away.
#[component]
fn Comments(handle: DocHandle<Canvas>, on: &'static str, about: &'static str) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let draft = RwSignal::new(String::new());
    let comments = Memo::new(move |_| {
        handle.with(|c| c.comments()).into_iter().filter(|c| c.on == on).collect::<Vec<_>>()
    });
    let open = move || comments.with(|c| c.iter().filter(|c| c.resolved_by.is_none()).count());
    let input_id = format!("comment-{on}");
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        let (person, name) =
            (repo.person().map(|p| p.to_string()).unwrap_or_default(), actions::my_name(&repo));
        let at = platform::now().utc_ms;
        handle.edit(|c| c.comment(on, &person, &name, &text, at));
        draft.set(String::new());
    };
    view! {
        <details class="comments">
            <summary>
                {move || match open() {
                    0 => "Comment".to_owned(),
                    1 => "1 comment".to_owned(),
                    n => format!("{n} comments"),
                }}
            </summary>
            <ul>
                {move || {
                    comments
                        .get()
                        .into_iter()
                        .map(|c| {
                            let id = c.id.clone();
                            let resolved = c.resolved_by.clone();
                            let is_resolved = resolved.is_some();
                            view! {
                                <li class:resolved=is_resolved>
                                    <p dir="auto">
                                        <strong>{c.name.clone()}</strong>
                                        ": "
                                        {c.text.clone()}
                                    </p>
                                    {match resolved {
                                        Some(by) => {
                                            view! { <p class="meta">{format!("Resolved by {by}")}</p> }
                                                .into_any()
                                        }
                                        None => {
                                            view! {
                                                <button
                                                    class="secondary"
                                                    on:click=move |_| {
                                                        let name = actions::my_name(&repo);
                                                        handle.edit(|c| c.resolve(&id, &name));
                                                    }
                                                >
                                                    "Resolve"
                                                </button>
                                            }
                                                .into_any()
                                        }
                                    }}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <form class="row" on:submit=add>
                <label class="visually-hidden" for=input_id.clone()>
                    {format!("Comment on “{about}”")}
                </label>
                <input
                    id=input_id
                    type="text"
                    dir="auto"
                    placeholder="Add a comment"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                />
                <button type="submit" class="secondary">
                    "Post"
                </button>
            </form>
        </details>
    }
}

#[component]
fn DecisionPicker(handle: DocHandle<Canvas>) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let decision = Memo::new(move |_| handle.with(|c| c.decision()));
    view! {
        <fieldset class="decision">
            <legend>"Decision"</legend>
            <div class="scale">
                {Decision::ALL
                    .into_iter()
                    .map(|d| {
                        let id = format!("decision-{}", d.key());
                        view! {
                            <input
                                type="radio"
                                name="decision"
                                id=id.clone()
                                prop:checked=move || decision.with(|x| x.as_ref().map(|x| x.0) == Some(d))
                                on:change=move |_| {
                                    let today = platform::now().local_date().to_string();
                                    edit_part(repo, handle, DECISION, |c| c.decide(d, &today));
                                }
                            />
                            <label for=id>{d.label()}</label>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="hint">
                {move || {
                    decision
                        .get()
                        .map(|(d, on)| {
                            let on = amplify::Date::parse(&on).map_or(on, platform::long_date);
                            format!("Decided: {} on {on}", d.label())
                        })
                        .unwrap_or_else(|| "Not decided yet.".to_owned())
                }}
            </p>
        </fieldset>
    }
}

#[component]
fn Publish(handle: DocHandle<Canvas>) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let status = RwSignal::new(String::new());
    view! {
        <div class="publish">
            <p class="hint">
                "Publishing puts your story (not your canvas) in the cohort's showcase, where "
                "executives read it. It follows your stage from then on."
            </p>
            <button on:click=move |_| match actions::publish(&repo, handle) {
                Ok(()) => status.set("Published to the cohort's showcase.".to_owned()),
                Err(e) => status.set(e.to_string()),
            }>
                {move || {
                    if actions::is_published(&repo) {
                        "Update the showcase"
                    } else {
                        "Publish to the showcase"
                    }
                }}
            </button>
            <p role="status" class="hint">
                {move || status.get()}
            </p>
        </div>
    }
}

#[component]
fn Assumptions(handle: DocHandle<Canvas>) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let draft = RwSignal::new(String::new());
    let risk = RwSignal::new(Risk::Desirable);
    let list = Memo::new(move |_| handle.with(|c| c.assumptions()));
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked().trim().to_owned();
        if !text.is_empty() {
            edit_part(repo, handle, ASSUMPTIONS, |c| c.add_assumption(&text, risk.get_untracked()));
            draft.set(String::new());
        }
    };
    let levels = [(1u8, "Low"), (2, "Medium"), (3, "High")];
    view! {
        <p class="hint">"Riskiest first: important, with little evidence. Test those first."</p>
        <ol class="assumptions">
            <For each=move || list.get() key=|a| a.id.clone() let:a>
                {
                    let id = a.id.clone();
                    let (i1, i2, i3, i4, i5) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
                    let text = Memo::new(move |_| {
                        handle
                            .with(|c| {
                                c.assumptions()
                                    .into_iter()
                                    .find(|x| x.id == i1)
                                    .map(|x| x.text)
                                    .unwrap_or_default()
                            })
                    });
                    view! {
                        <li class="assumption">
                            <label for=format!("a-{id}")>"Assumption"</label>
                            <SyncedInput
                                id=format!("a-{id}")
                                text
                                on_edit=move |v: String| edit_part(
                                    repo,
                                    handle,
                                    ASSUMPTIONS,
                                    |c| c.set_assumption_text(&i2, &v),
                                )
                            />
                            <div class="row">
                                <label for=format!("a-risk-{id}")>"Risk"</label>
                                <select
                                    id=format!("a-risk-{id}")
                                    on:change=move |ev| {
                                        if let Some(r) = Risk::from_key(&event_target_value(&ev)) {
                                            edit_part(
                                                repo,
                                                handle,
                                                ASSUMPTIONS,
                                                |c| c.set_assumption_risk(&i3, r),
                                            );
                                        }
                                    }
                                >
                                    {Risk::ALL
                                        .into_iter()
                                        .map(|r| {
                                            view! {
                                                <option value=r.key() selected=a.risk == r>
                                                    {r.label()}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <label for=format!("a-imp-{id}")>"Importance"</label>
                                <select
                                    id=format!("a-imp-{id}")
                                    on:change=move |ev| {
                                        let v: u8 = event_target_value(&ev).parse().unwrap_or(2);
                                        edit_part(
                                            repo,
                                            handle,
                                            ASSUMPTIONS,
                                            |c| {
                                                let e = c
                                                    .assumptions()
                                                    .into_iter()
                                                    .find(|x| x.id == i4)
                                                    .map_or(1, |x| x.evidence);
                                                c.place_assumption(&i4, v, e)
                                            },
                                        );
                                    }
                                >
                                    {levels
                                        .into_iter()
                                        .map(|(v, l)| {
                                            view! {
                                                <option value=v.to_string() selected=a.importance == v>
                                                    {l}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <label for=format!("a-ev-{id}")>"Evidence"</label>
                                <select
                                    id=format!("a-ev-{id}")
                                    on:change=move |ev| {
                                        let v: u8 = event_target_value(&ev).parse().unwrap_or(1);
                                        edit_part(
                                            repo,
                                            handle,
                                            ASSUMPTIONS,
                                            |c| {
                                                let i = c
                                                    .assumptions()
                                                    .into_iter()
                                                    .find(|x| x.id == i5)
                                                    .map_or(2, |x| x.importance);
                                                c.place_assumption(&i5, i, v)
                                            },
                                        );
                                    }
                                >
                                    {levels
                                        .into_iter()
                                        .map(|(v, l)| {
                                            view! {
                                                <option value=v.to_string() selected=a.evidence == v>
                                                    {l}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <button
                                    class="danger"
                                    on:click=move |_| edit_part(
                                        repo,
                                        handle,
                                        ASSUMPTIONS,
                                        |c| c.remove_assumption(&id),
                                    )
                                >
                                    "Remove"
                                </button>
                            </div>
                        </li>
                    }
                }
            </For>
        </ol>
        <form class="stack" on:submit=add>
            <label for="new-assumption">"New assumption"</label>
            <input
                id="new-assumption"
                type="text"
                dir="auto"
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
            />
            <label for="new-assumption-risk">"It is about being…"</label>
            <select
                id="new-assumption-risk"
                on:change=move |ev| {
                    if let Some(r) = Risk::from_key(&event_target_value(&ev)) {
                        risk.set(r)
                    }
                }
            >
                {Risk::ALL
                    .into_iter()
                    .map(|r| view! { <option value=r.key()>{r.label()}</option> })
                    .collect_view()}
            </select>
            <button type="submit" class="secondary">
                "Add assumption"
            </button>
        </form>
        <Comments handle on="assumptions" about="Assumptions" />
    }
}

#[component]
fn EvidenceLog(handle: DocHandle<Canvas>) -> impl IntoView {
    let repo = expect_context::<Repo>();
    let draft = RwSignal::new(String::new());
    let list = Memo::new(move |_| handle.with(|c| c.evidence()));
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked().trim().to_owned();
        if !text.is_empty() {
            let (by, at) = (actions::my_name(&repo), platform::now().utc_ms);
            handle.edit(|c| c.add_evidence(&text, &by, at));
            draft.set(String::new());
        }
    };
    view! {
        <ul class="evidence">
            {move || {
                list.get()
                    .into_iter()
                    .map(|e| {
                        let when = platform::day_label(
                            amplify::Moment::new(e.at_ms, 0).local_date(),
                            platform::now().local_date(),
                        );
                        view! {
                            <li>
                                <span class="meta">{format!("{when} · {}", e.by)}</span>
                                <p dir="auto">{e.text}</p>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
        <form class="stack" on:submit=add>
            <label for="new-evidence">"What did you observe?"</label>
            <textarea
                id="new-evidence"
                dir="auto"
                rows="3"
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
            ></textarea>
            <button type="submit" class="secondary">
                "Add to the log"
            </button>
        </form>
        <Comments handle on="evidence" about="Evidence log" />
    }
}

#[component]
pub fn Outline(
    handle: DocHandle<Canvas>,
    changed: RwSignal<Vec<Field>>,
    current: RwSignal<usize>,
    mode: RwSignal<Mode>,
) -> impl IntoView {
    view! {
        <ol class="outline" data-testid="outline">
            {BOXES
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let b = *b;
                    let summary = move || match b {
                        CanvasBox::Assumptions => {
                            handle.with(|c| c.assumptions().into_iter().map(|a| a.text).collect::<Vec<_>>())
                        }
                        CanvasBox::Evidence => {
                            handle.with(|c| c.evidence().into_iter().map(|e| e.text).collect::<Vec<_>>())
                        }
                        CanvasBox::Section(_) => {
                            b.fields()
                                .into_iter()
                                .map(|f| {
                                    let text = handle.with(|c| c.get(f));
                                    let mark = if changed.with(|c| c.contains(&f)) {
                                        " (changed)"
                                    } else {
                                        ""
                                    };
                                    format!(
                                        "{}{mark} {}",
                                        f.label(),
                                        if text.is_empty() { "—".to_owned() } else { text },
                                    )
                                })
                                .collect()
                        }
                    };
                    view! {
                        <li>
                            <h2>{b.title()}</h2>
                            <ul>
                                {move || {
                                    summary()
                                        .into_iter()
                                        .map(|line| view! { <li dir="auto">{line}</li> })
                                        .collect_view()
                                }}
                            </ul>
                            <button
                                class="secondary"
                                on:click=move |_| {
                                    current.set(i);
                                    mode.set(Mode::OneBox);
                                }
                            >
                                {format!("Edit {}", b.title().to_lowercase())}
                            </button>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
