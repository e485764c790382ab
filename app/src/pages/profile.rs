//! The person's profile: what the Little Black Book will print about them.

use amplify::ProfileField;
use leptos::prelude::*;

use crate::{
    repo::{Health, Repo},
    widgets::{HealthAlert, SyncedInput, SyncedText, writable},
};

#[component]
pub fn Profile() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let profile = repo.profile;
    // Fields are bound to the document once; edits from other devices flow into them without
    // re-rendering the form under the person's fingers.
    let field = move |field: ProfileField, label: &'static str, hint: &'static str| {
        let id = format!("profile-{}", label.to_lowercase().replace(' ', "-"));
        let hint_id = format!("{id}-hint");
        let text = Memo::new(move |_| profile.with(|p| p.get(field)));
        let on_edit = move |value: String| profile.edit(|p| p.set(field, &value));
        let control = if field == ProfileField::Statement {
            view! { <SyncedText id=id.clone() text on_edit rows=4 /> }.into_any()
        } else {
            view! { <SyncedInput id=id.clone() text on_edit describedby=hint_id.clone() /> }.into_any()
        };
        view! {
            <div class="field">
                <label for=id>{label}</label>
                {control}
                <p class="hint" id=hint_id>{hint}</p>
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
                health if writable(&health) => view! {
                    <form class="stack" on:submit=|ev| ev.prevent_default()>
                        {field(ProfileField::Name, "Name", "As your colleagues know you.")}
                        {field(ProfileField::Role, "Role", "Your job title and team.")}
                        {field(ProfileField::Region, "Region", "Where you work, e.g. Nordics or Latin America.")}
                        {field(
                            ProfileField::Statement,
                            "Leadership statement",
                            "A few sentences: who you are as a leader and what you stand for.",
                        )}
                    </form>
                }
                .into_any(),
                _ => ().into_any(),
            }}
        </section>
    }
}
