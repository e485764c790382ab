//! An invite link to show: the link to copy, its QR code, and what it gives away.

use leptos::prelude::*;

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
            // A promise: whether the clipboard took it is not known here; the field stays
            // there to copy by hand.
            let _promise = window.navigator().clipboard().write_text(&for_copy);
            copied.set(true);
        }
    };
    view! {
        <div class="invite">
            <p class="hint">{warning}</p>
            <label for="invite-link">"Invite link"</label>
            <div class="row">
                <input
                    id="invite-link"
                    type="text"
                    readonly=true
                    prop:value=link.clone()
                    data-testid="invite-link"
                />
                <button class="secondary" on:click=copy>
                    "Copy"
                </button>
            </div>
            <p role="status" class="hint">
                {move || if copied.get() { "Copied." } else { "" }}
            </p>
            <Qr text=link label="QR code of the invite link: scan it with the other phone's camera" />
        </div>
    }
}
