//! The person's profile: what the Little Black Book will print about them.

use amplify::ProfileField;
use leptos::prelude::*;

use crate::{
    repo::{Health, Repo},
    widgets::{HealthAlert, writable},
};

#[component]
pub fn Profile() -> impl IntoView {
    let repo = expect_context::<Repo>();
    let profile = repo.profile;
    let field = move |field: ProfileField, label: &'static str, hint: &'static str| {
        let id = format!("profile-{}", label.to_lowercase().replace(' ', "-"));
        let hint_id = format!("{id}-hint");
        let value = profile.with(|p| p.get(field));
        let on_input = move |ev| {
            let text = event_target_value(&ev);
            profile.edit(|p| p.set(field, &text));
        };
        let control = if field == ProfileField::Statement {
            view! {
                <textarea id=id.clone() dir="auto" rows="4" aria-describedby=hint_id.clone() prop:value=value on:input=on_input></textarea>
            }
            .into_any()
        } else {
            view! {
                <input id=id.clone() type="text" dir="auto" aria-describedby=hint_id.clone() prop:value=value on:input=on_input />
            }
            .into_any()
        };
        view! {
            <div class="field">
                <label for=id>{label}</label>
                {control}
                <p class="hint" id=hint_id>{hint}</p>
            </div>
        }
    };
    view! {
        <section class="page profile">
            <h1>"Your profile"</h1>
            <HealthAlert handle=profile name="profile" />
            {move || match profile.health() {
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
