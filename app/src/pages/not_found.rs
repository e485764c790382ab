use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"Nothing here"</h1>
            <p>"This page does not exist. " <A href="/">"Go to your journal"</A></p>
        </section>
    }
}
