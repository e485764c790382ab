//! Automerge, fetched apart from the rest of the app.
//!
//! Every document works through the engine `amplify::engine` installs. With the `split` feature
//! (Trunk's build) automerge's code is a chunk of its own, fetched as the app starts, in parallel
//! with opening storage: the first download carries none of it, and the journal is drawn from
//! the list it kept at the last start (`journal_view`) meanwhile. [`ready`] resolves once it is
//! installed; nothing reads a stored document or writes one before (the repo opens storage for
//! writing only then, and later pages wait for it too). If the chunk cannot be fetched
//! (offline before the app was kept here), it is asked for again after 2 seconds, then less and
//! less often, up to every 30 seconds.

#[cfg(feature = "split")]
use std::time::Duration;

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use leptos::prelude::*;

use crate::platform::{self, NotLoaded};

/// How long to wait before asking again for a chunk that did not arrive, and the longest wait.
#[cfg(feature = "split")]
const FETCH_AGAIN: (Duration, Duration) = (Duration::from_secs(2), Duration::from_secs(30));

thread_local! {
    static INSTALLED: Shared<LocalBoxFuture<'static, ()>> = install().boxed_local().shared();
    /// Set while a fetch of the engine has failed and it is not installed yet. Reference
    /// counted: an arena signal would belong to whichever page first asked, and go with it.
    static DELAYED: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// Resolves once the engine is installed (at once if it is).
pub async fn ready() {
    INSTALLED.with(Clone::clone).await;
}

/// Whether fetching the engine failed and it is still not here (reactive): documents can be
/// neither read nor written until it is.
pub fn delayed() -> bool {
    DELAYED.with(|d| d.get())
}

async fn install() {
    #[cfg(feature = "split")]
    {
        let (mut wait, longest) = FETCH_AGAIN;
        loop {
            match automerge().await {
                Ok(engine) => {
                    amplify::engine::install(engine);
                    DELAYED.with(|d| d.set(false));
                    break;
                }
                Err(NotLoaded) => {
                    DELAYED.with(|d| d.set(true));
                    platform::sleep(wait).await;
                    wait = (wait * 2).min(longest);
                }
            }
        }
    }
    #[cfg(not(feature = "split"))]
    {
        // Without the feature nothing is fetched, so nothing can fail to arrive.
        if let Ok(engine) = automerge() {
            amplify::engine::install(engine);
        }
    }
    platform::mark("engine-installed");
    leptos::task::spawn_local(async {
        // Once the first screen is drawn and its months are read.
        platform::after_paint().await;
        platform::sleep(REHEARSE_AFTER).await;
        rehearse();
    });
}

/// How long after the engine is installed [`rehearse`] runs.
const REHEARSE_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Types into a scratch journal that is never kept, so that the first keystroke in a real
/// entry does not pay for its code. The browser compiles each wasm function the first time it
/// is called, and the automerge chunk is called for an edit only when one is made: the first
/// key typed after a start compiled the transaction, text-diffing and change-hashing code
/// inside its own frame. `./x profile`, 8 fresh devices: the first key's listeners took 2.7-4.9
/// ms without this and 2.4-3.0 ms with it, the second key's 2.1-2.7 ms either way. Everything
/// here goes through the same engine functions as an edit of the journal does.
fn rehearse() {
    use amplify::{Journal, Model};

    let mut journal = Journal::new();
    let id = journal.add_entry(platform::now(), None);
    journal.set_body(&id, "Today I");
    journal.set_body(&id, "Today I listened");
    let heads = journal.doc_mut().heads();
    journal.set_body(&id, "Today I listened first");
    let _changes = journal.doc_mut().save_after(&heads);
    let _entries = journal.entries();
}

/// The split point: automerge is reached only through the engine this returns.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(automerge, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn automerge() -> Result<&'static dyn amplify::engine::Engine, NotLoaded> {
    Ok(amplify::engine::automerge())
}
