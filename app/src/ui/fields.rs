//! Fields bound to text in a document. They are not re-rendered as the person types; when the
//! document changes under them (another tab, another device), the new text is copied in and the
//! caret keeps its place in the words around it.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// A text field whose value and caret can be read and set: a textarea or an input.
trait CaretField {
    fn text(&self) -> String;
    fn set_text(&self, text: &str);
    fn caret(&self) -> Option<u32>;
    fn set_caret(&self, at: u32) -> Result<(), JsValue>;
}

macro_rules! caret_field {
    ($element:ty) => {
        impl CaretField for $element {
            fn text(&self) -> String {
                self.value()
            }
            fn set_text(&self, text: &str) {
                self.set_value(text);
            }
            fn caret(&self) -> Option<u32> {
                self.selection_start().ok().flatten()
            }
            fn set_caret(&self, at: u32) -> Result<(), JsValue> {
                self.set_selection_range(at, at)
            }
        }
    };
}
caret_field!(web_sys::HtmlTextAreaElement);
caret_field!(web_sys::HtmlInputElement);

/// Copies `text` into the field whenever the document changes, keeping the caret in place.
fn keep_in_step<F: CaretField + 'static>(text: Memo<String>, field: impl Fn() -> Option<F> + 'static) {
    Effect::new(move |_| {
        let new = text.get();
        let Some(field) = field() else { return };
        let old = field.text();
        if old == new {
            return;
        }
        let caret = field.caret();
        field.set_text(&new);
        if let Some(caret) = caret {
            // A caret that cannot be placed (the field lost focus meanwhile) is left where it is.
            let _not_focused = field.set_caret(shifted_caret(&old, &new, caret));
        }
    });
}

/// A textarea bound to text in a document.
#[component]
pub fn SyncedText(
    #[prop(into)] id: String,
    text: Memo<String>,
    on_edit: impl Fn(String) + 'static,
    #[prop(optional)] rows: Option<u32>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let area = NodeRef::<leptos::html::Textarea>::new();
    keep_in_step(text, move || area.get());
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
    keep_in_step(text, move || input.get());
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

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::shifted_caret;

    #[wasm_bindgen_test]
    fn the_caret_moves_with_text_inserted_before_it_and_stays_for_text_after() {
        // "Hello world" with the caret after "Hello"; someone types "Oh, " at the start.
        assert_eq!(shifted_caret("Hello world", "Oh, Hello world", 5), 9);
        // They type at the end instead: the caret stays.
        assert_eq!(shifted_caret("Hello world", "Hello world!", 5), 5);
        // Text deleted before the caret pulls it back, never past the change.
        assert_eq!(shifted_caret("abc def", "def", 7), 3);
        // The DOM counts UTF-16 units: an emoji before the caret counts two.
        assert_eq!(shifted_caret("ab", "😀ab", 2), 4);
    }
}
