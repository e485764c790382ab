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
}

/// The split point: automerge is reached only through the engine this returns.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(automerge, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn automerge() -> Result<&'static dyn amplify::engine::Engine, NotLoaded> {
    Ok(amplify::engine::automerge())
}
