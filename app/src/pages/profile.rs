//! The person's profile: what the Little Black Book will print about them.

use amplify::ProfileField;
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;

use crate::{
    actions,
    documents::{Health, Repo},
    platform,
    ui::{HealthAlert, SyncedInput, SyncedText},
};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let profile = repo.profile;
    // Fields are bound to the document once; edits from other devices flow into them without
    // re-rendering the form under the person's fingers.
    let field = move |field: ProfileField, label: &'static str, hint: &'static str| {
        let id = format!("profile-{}", label.to_lowercase().replace(' ', "-"));
        let hint_id = format!("{id}-hint");
        let text = Memo::new(move |_| profile.with(|p| p.get(field)));
        let on_edit = move |value: String| {
            profile.edit(|p| p.set(field, &value));
            // The cohort's card of this person follows their profile.
            actions::mirror_profile(repo);
        };
        let control = if field == ProfileField::Statement {
            view! { <SyncedText id=id.clone() text on_edit rows=4 /> }.into_any()
        } else {
            view! { <SyncedInput id=id.clone() text on_edit describedby=hint_id.clone() /> }.into_any()
        };
        view! {
            <div class="field">
                <label for=id>{label}</label>
                {control}
                <p class="hint" id=hint_id>
                    {hint}
                </p>
            </div>
        }
    };
    let health = Memo::new(move |_| profile.health());
    view! {
        <section class="page profile">
            <h1>"Your profile"</h1>
            <HealthAlert handle=profile name="profile" />
            {move || match health.get() {
                Health::Loading => view! { <p role="status">"Opening your profile…"</p> }.into_any(),
                health if health.writable() => {
                    view! {
                        <form class="stack" on:submit=|ev| ev.prevent_default()>
                            {field(ProfileField::Name, "Name", "As your colleagues know you.")}
                            {field(ProfileField::Role, "Role", "Your job title and team.")}
                            {field(
                                ProfileField::Region,
                                "Region",
                                "Where you work, e.g. Nordics or Latin America.",
                            )}
                            {field(
                                ProfileField::Statement,
                                "Leadership statement",
                                "A few sentences: who you are as a leader and what you stand for.",
                            )}
                            <Photo />
                            <InBook />
                        </form>
                    }
                        .into_any()
                }
                _ => ().into_any(),
            }}
        </section>
    }
}

/// The person's choice to be in the Little Black Book, which the cohort's executives read.
#[component]
fn InBook() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let profile = repo.profile;
    let chosen = Memo::new(move |_| profile.with(amplify::Profile::in_book));
    view! {
        <div class="field check">
            <input
                id="profile-in-book"
                type="checkbox"
                aria-describedby="profile-in-book-hint"
                prop:checked=move || chosen.get()
                on:change=move |ev| {
                    let yes = event_target_checked(&ev);
                    profile.edit(|p| p.set_in_book(yes));
                    actions::mirror_profile(repo);
                }
            />
            <label for="profile-in-book">"Include me in the Little Black Book"</label>
            <p class="hint" id="profile-in-book-hint">
                "The programme's book of its participants, with your profile and your published experiment, for the company's executives. Only people who choose are in it."
            </p>
        </div>
    }
}

/// An optional photo, made small on the device before it is kept.
#[component]
fn Photo() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let profile = repo.profile;
    let photo = Memo::new(move |_| profile.with(|p| p.photo()));
    let problem = RwSignal::new(String::new());
    let chosen = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        spawn_local(async move {
            match platform::small_photo(&file, 192).await {
                Ok(url) => {
                    profile.edit(|p| p.set_photo(Some(&url)));
                    actions::mirror_profile(repo);
                    problem.set(String::new());
                }
                Err(_) => problem.set("This file could not be read as a picture.".to_owned()),
            }
        });
    };
    view! {
        <div class="field photo">
            <label for="profile-photo">"Photo (optional)"</label>
            {move || photo.get().map(|src| view! { <img class="portrait" src=src alt="Your photo" /> })}
            <input
                id="profile-photo"
                type="file"
                accept="image/*"
                aria-describedby="profile-photo-hint"
                on:change=chosen
            />
            <p class="hint" id="profile-photo-hint">
                "Kept small: a 192-pixel square."
            </p>
            <Show when=move || photo.get().is_some()>
                <button
                    type="button"
                    class="secondary"
                    on:click=move |_| {
                        profile.edit(|p| p.set_photo(None));
                        actions::mirror_profile(repo);
                    }
                >
                    "Remove photo"
                </button>
            </Show>
            <p role="alert" class="problem">
                {move || problem.get()}
            </p>
        </div>
    }
}
