//! The service worker from the app's side: register it, notice when a new version is waiting,
//! and switch to it only when the person says so, after saving.

use js_sys::Reflect;
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::{JsCast, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

use crate::documents::Repo;

/// Whether a new version is installed and waiting. Provided as context.
#[derive(Clone, Copy)]
pub struct Update {
    pub ready: RwSignal<bool>,
    registration: StoredValue<Option<ServiceWorkerRegistration>, LocalStorage>,
}

impl Update {
    /// Registers `/sw.js` (where the browser has service workers) and starts watching for
    /// new versions.
    pub fn register() -> Update {
        let update = Update { ready: RwSignal::new(false), registration: StoredValue::new_local(None) };
        let Some(container) = container() else {
            return update;
        };
        spawn_local(async move {
            let Ok(registration) = JsFuture::from(container.register("/sw.js")).await else {
                return;
            };
            let registration: ServiceWorkerRegistration = registration.unchecked_into();
            update.registration.set_value(Some(registration.clone()));
            update.watch(&container, &registration);
        });
        update
    }

    fn watch(self, container: &ServiceWorkerContainer, registration: &ServiceWorkerRegistration) {
        // A worker installed while the app was closed is already waiting.
        if registration.waiting().is_some() && container.controller().is_some() {
            self.ready.set(true);
        }
        let (reg, sw) = (registration.clone(), container.clone());
        let on_update_found = Closure::<dyn FnMut()>::new(move || {
            let Some(worker) = reg.installing() else {
                return;
            };
            let (installing, sw) = (worker.clone(), sw.clone());
            let on_state = Closure::<dyn FnMut()>::new(move || {
                // With no controller this is the first install, not an update.
                if installing.state() == ServiceWorkerState::Installed && sw.controller().is_some() {
                    self.ready.set(true);
                }
            });
            worker.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
            on_state.forget();
        });
        registration.set_onupdatefound(Some(on_update_found.as_ref().unchecked_ref()));
        on_update_found.forget();
    }

    /// Asks the server whether there is a newer version (on focus, say).
    pub fn check(&self) {
        if let Some(registration) = self.registration.get_value()
            && let Ok(promise) = registration.update()
        {
            spawn_local(async move {
                // A failed check is tried again at the next focus.
                if let Err(e) = JsFuture::from(promise).await {
                    crate::platform::warn(&format!("could not check for a new version: {e:?}"));
                }
            });
        }
    }

    /// Saves everything, then lets the waiting worker take over and reloads into it.
    pub async fn apply(self, repo: Repo) {
        repo.flush_all().await;
        let (Some(container), Some(registration)) = (container(), self.registration.get_value()) else {
            return;
        };
        let Some(waiting) = registration.waiting() else {
            return;
        };
        let reload = Closure::<dyn FnMut()>::new(|| {
            if let Some(window) = web_sys::window()
                && let Err(e) = window.location().reload()
            {
                crate::platform::warn(&format!("could not reload into the new version: {e:?}"));
            }
        });
        container.set_oncontrollerchange(Some(reload.as_ref().unchecked_ref()));
        reload.forget();
        if let Err(e) = waiting.post_message(&"skip-waiting".into()) {
            crate::platform::warn(&format!("the new version did not take over: {e:?}"));
        }
    }
}

fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    let sw = Reflect::get(&navigator, &"serviceWorker".into()).ok()?;
    (!sw.is_undefined()).then(|| sw.unchecked_into())
}
