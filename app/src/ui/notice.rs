//! Short messages at the bottom of the screen, announced to screen readers, with an optional
//! action ("Undo").

use std::{sync::Arc, time::Duration};

use leptos::prelude::*;

#[derive(Clone)]
struct Notice {
    serial: u64,
    text: String,
    /// A plain closure, not a `Callback`: the component that raised the notice is often gone
    /// (deleting an entry leaves its page) before the person presses the button.
    action: Option<(String, Arc<dyn Fn() + Send + Sync>)>,
}

/// The notice bar's handle. Provided as context.
#[derive(Clone, Copy)]
pub struct Notices {
    current: RwSignal<Option<Notice>>,
}

/// How long a notice stays: long enough to find the Undo button.
const SHOW_FOR: Duration = Duration::from_secs(10);

impl Default for Notices {
    fn default() -> Self {
        Self::new()
    }
}

impl Notices {
    pub fn new() -> Notices {
        Notices { current: RwSignal::new(None) }
    }

    pub fn show(&self, text: impl Into<String>) {
        self.push(text.into(), None);
    }

    pub fn show_with_action(
        &self,
        text: impl Into<String>,
        action: &str,
        on_action: impl Fn() + Send + Sync + 'static,
    ) {
        self.push(text.into(), Some((action.to_owned(), Arc::new(on_action))));
    }

    fn push(&self, text: String, action: Option<(String, Arc<dyn Fn() + Send + Sync>)>) {
        let serial = self.current.with_untracked(|n| n.as_ref().map_or(0, |n| n.serial + 1));
        self.current.set(Some(Notice { serial, text, action }));
        let current = self.current;
        set_timeout(
            move || {
                if current.with_untracked(|n| n.as_ref().is_some_and(|n| n.serial == serial)) {
                    current.set(None);
                }
            },
            SHOW_FOR,
        );
    }
}

/// The bar itself: always in the page, so screen readers hear what appears in it.
#[component]
pub fn NoticeBar() -> impl IntoView {
    let notices = expect_context::<Notices>();
    let current = notices.current;
    view! {
        <div class="notice-bar" role="status" aria-live="polite">
            {move || {
                current
                    .get()
                    .map(|notice| {
                        let action = notice
                            .action
                            .map(|(label, callback)| {
                                view! {
                                    <button
                                        class="link-button"
                                        on:click=move |_| {
                                            callback();
                                            current.set(None);
                                        }
                                    >
                                        {label}
                                    </button>
                                }
                            });
                        view! {
                            <div class="notice">
                                <span>{notice.text}</span>
                                {action}
                                <button
                                    class="icon-button"
                                    aria-label="Dismiss"
                                    on:click=move |_| current.set(None)
                                >
                                    "×"
                                </button>
                            </div>
                        }
                    })
            }}
        </div>
    }
}
