//! What the browser provides: the clock, dates in the reader's language, small settings in
//! localStorage, and the Storage API (persistence and usage).

use amplify::{Date, Moment, Month};
use gloo_storage::{LocalStorage, Storage as _};
use js_sys::{Object, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;

/// A plain JavaScript object with `fields` (setting a property on a fresh plain object cannot
/// fail, so there is nothing to handle).
pub fn js_object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        let _infallible = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// Writes `message` to the browser's console: for failures nobody can act on at that moment
/// (the action is retried, or only costs a little), so they are never dropped silently.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}

/// Leaves a performance mark named `name`, for the benchmarks and the end-to-end tests to wait
/// on; nothing in the app depends on it.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _unmeasured = performance.mark(name);
    }
}

/// Milliseconds on a clock that only moves forward (`performance.now()`), for telling how long
/// ago something happened; 0 where there is none.
pub fn monotonic_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Now, with this device's current UTC offset.
pub fn now() -> Moment {
    let date = js_sys::Date::new_0();
    // `getTimezoneOffset` counts minutes *west* of UTC.
    Moment::new(date.get_time() as i64, -(date.get_timezone_offset() as i32))
}

/// "Today", "Yesterday", or the date written out in the reader's language.
pub fn day_label(date: Date, today: Date) -> String {
    match today.days() - date.days() {
        0 => "Today".to_owned(),
        1 => "Yesterday".to_owned(),
        _ => calendar_date(date, "long", date.year != today.year),
    }
}

/// "Wednesday 2 December 2026", in the reader's language and the order their locale writes
/// dates in.
pub fn long_date(date: Date) -> String {
    calendar_date(date, "long", true)
}

/// "Wed 2 Dec" (and the year when it is not this one), in the reader's language: a calendar
/// date such as a due date.
pub fn day(date: Date, today: Date) -> String {
    calendar_date(date, "short", date.year != today.year)
}

/// A calendar date with its weekday, in the reader's language: the weekday and month `long`
/// or `short`, with the year or not.
fn calendar_date(date: Date, width: &'static str, with_year: bool) -> String {
    let key = match (width, with_year) {
        ("long", true) => "weekday long, year",
        ("long", false) => "weekday long",
        (_, true) => "weekday short, year",
        (_, false) => "weekday short",
    };
    // Noon UTC on that date: the same calendar day in every time zone.
    let ms = date.days() as f64 * 86_400_000.0 + 43_200_000.0;
    formatted(key, ms, || {
        let width = JsValue::from_str(width);
        let mut fields = vec![
            ("weekday", width.clone()),
            ("day", JsValue::from_str("numeric")),
            ("month", width),
            ("timeZone", JsValue::from_str("UTC")),
        ];
        if with_year {
            fields.push(("year", JsValue::from_str("numeric")));
        }
        fields
    })
}

/// The moment `ms` (since the epoch) written by the formatter named `key`, made from
/// `options` the first time it is asked for (in the reader's language).
///
/// Making an `Intl.DateTimeFormat`, which `toLocaleDateString` does on every call that has
/// options, costs far more than using one: a list of a few dozen dated cards redrawn on each
/// keystroke of a search made one per card.
fn formatted(key: &'static str, ms: f64, options: impl FnOnce() -> Vec<(&'static str, JsValue)>) -> String {
    thread_local! {
        static FORMATS: std::cell::RefCell<Vec<(&'static str, js_sys::Function)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let format = FORMATS.with_borrow_mut(|formats| {
        if let Some((_, format)) = formats.iter().find(|(k, _)| *k == key) {
            return format.clone();
        }
        let options: Object = js_object(&options()).unchecked_into();
        let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options).format();
        formats.push((key, format.clone()));
        format
    });
    format
        .call1(&JsValue::UNDEFINED, &js_sys::Date::new(&JsValue::from_f64(ms)))
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

/// A stored `2026-12-02` as [`day`] writes it (as stored if it does not read as a date).
pub fn due_day(stored: &str) -> String {
    Date::parse(stored).map_or_else(|| stored.to_owned(), |date| day(date, now().local_date()))
}

/// "2 Dec", in the reader's language and time zone (the moment `ms` since the epoch).
pub fn short_date(ms: i64) -> String {
    formatted("day month", ms as f64, || {
        vec![("day", JsValue::from_str("numeric")), ("month", JsValue::from_str("short"))]
    })
}

/// "2 Dec, 14:05", in the reader's language and time zone (the moment `ms` since the epoch).
pub fn date_time(ms: i64) -> String {
    formatted("day month, time", ms as f64, || {
        let (numeric, two) = (JsValue::from_str("numeric"), JsValue::from_str("2-digit"));
        vec![("day", numeric), ("month", JsValue::from_str("short")), ("hour", two.clone()), ("minute", two)]
    })
}

/// "November 2026", in the reader's language.
pub fn month_label(month: Month) -> String {
    let ms = month.first_day().days() as f64 * 86_400_000.0 + 43_200_000.0;
    formatted("month year", ms, || {
        vec![
            ("month", JsValue::from_str("long")),
            ("year", JsValue::from_str("numeric")),
            ("timeZone", JsValue::from_str("UTC")),
        ]
    })
}

/// "09:05", on the clock of the place the moment was lived.
pub fn clock(moment: Moment) -> String {
    let (h, m) = moment.local_time();
    format!("{h:02}:{m:02}")
}

/// Small per-device settings, kept in localStorage (never documents, never keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Same as this device",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    pub fn load() -> Theme {
        LocalStorage::get("amplify.theme").unwrap_or_default()
    }

    /// Remembers the choice and applies it to the page.
    pub fn apply(self) {
        if let Err(e) = LocalStorage::set("amplify.theme", self) {
            // Applied for now; the next start shows the system's theme.
            warn(&format!("could not remember the theme: {e}"));
        }
        if let Some(root) = document_element() {
            let value = match self {
                Theme::System => "",
                Theme::Light => "light",
                Theme::Dark => "dark",
            };
            if let Err(e) = root.set_attribute("data-theme", value) {
                warn(&format!("could not apply the theme: {e:?}"));
            }
        }
    }
}

fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

/// What the browser says about this site's storage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageReport {
    /// `None` if the browser has no Storage API.
    pub persisted: Option<bool>,
    pub usage_bytes: Option<f64>,
    pub quota_bytes: Option<f64>,
}

fn storage_manager() -> Option<web_sys::StorageManager> {
    let navigator = web_sys::window()?.navigator();
    // Older Safari has no `navigator.storage`; web-sys would hand back `undefined` typed as a
    // StorageManager, so check before using it.
    let storage = Reflect::get(&navigator, &"storage".into()).ok()?;
    (!storage.is_undefined()).then(|| storage.unchecked_into())
}

pub async fn storage_report() -> StorageReport {
    let Some(manager) = storage_manager() else {
        return StorageReport::default();
    };
    let persisted = match manager.persisted() {
        Ok(promise) => JsFuture::from(promise).await.ok().and_then(|v| v.as_bool()),
        Err(_) => None,
    };
    let (mut usage_bytes, mut quota_bytes) = (None, None);
    if let Ok(promise) = manager.estimate()
        && let Ok(estimate) = JsFuture::from(promise).await
    {
        usage_bytes = Reflect::get(&estimate, &"usage".into()).ok().and_then(|v| v.as_f64());
        quota_bytes = Reflect::get(&estimate, &"quota".into()).ok().and_then(|v| v.as_f64());
    }
    StorageReport { persisted, usage_bytes, quota_bytes }
}

/// Asks the browser to keep this site's data even under storage pressure. Returns whether it
/// agreed (`None` if it cannot be asked).
pub async fn request_persistence() -> Option<bool> {
    let promise = storage_manager()?.persist().ok()?;
    JsFuture::from(promise).await.ok().and_then(|v| v.as_bool())
}

/// "2.4 MB" and the like.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{value:.0} {}", UNITS[0]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Offers `bytes` to the person as a downloaded file called `name`.
pub fn download(name: &str, mime: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)
}

/// Whether Amplify runs as an installed app (from the home screen), not in a browser tab.
pub fn installed() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let standalone =
        window.match_media("(display-mode: standalone)").ok().flatten().is_some_and(|m| m.matches());
    // iOS Safari says so on the navigator instead.
    standalone
        || Reflect::get(&window.navigator(), &"standalone".into()).ok().and_then(|v| v.as_bool())
            == Some(true)
}

/// How this browser installs a web app to the home screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installing {
    /// The browser offered its own invitation (`beforeinstallprompt`, kept by index.html).
    Prompt,
    /// iOS and iPadOS: only by hand, from the Share menu.
    ShareMenu,
    /// Somewhere in the browser's own menu, if at all.
    BrowserMenu,
}

pub fn installing() -> Installing {
    let Some(window) = web_sys::window() else { return Installing::BrowserMenu };
    let offered = Reflect::get(&window, &"amplifyInstall".into()).is_ok_and(|e| e.is_object());
    let agent = window.navigator().user_agent().unwrap_or_default();
    // iPadOS presents itself as a Mac, with touch.
    let ios = agent.contains("iPhone")
        || agent.contains("iPad")
        || (agent.contains("Macintosh") && window.navigator().max_touch_points() > 1);
    if offered {
        Installing::Prompt
    } else if ios {
        Installing::ShareMenu
    } else {
        Installing::BrowserMenu
    }
}

/// Shows the browser's own install invitation; whether the person accepted (`None` if there is
/// no invitation to show).
pub async fn prompt_install() -> Option<bool> {
    let window = web_sys::window()?;
    let event = Reflect::get(&window, &"amplifyInstall".into()).ok().filter(JsValue::is_object)?;
    let prompt: js_sys::Function = Reflect::get(&event, &"prompt".into()).ok()?.dyn_into().ok()?;
    let shown = prompt.call0(&event).ok()?;
    if let Ok(promise) = shown.dyn_into::<js_sys::Promise>() {
        let _shown = JsFuture::from(promise).await;
    }
    // An invitation is good for one prompt only.
    let _forgotten = Reflect::delete_property(&window, &"amplifyInstall".into());
    let choice =
        JsFuture::from(Reflect::get(&event, &"userChoice".into()).ok()?.dyn_into::<js_sys::Promise>().ok()?)
            .await
            .ok()?;
    let outcome = Reflect::get(&choice, &"outcome".into()).ok()?.as_string()?;
    Some(outcome == "accepted")
}

/// Opens the system's share sheet with `text`; `Some(shared)` once the person chose (or
/// closed it), `None` where there is no share sheet.
pub async fn share_text(title: &str, text: &str) -> Option<bool> {
    let navigator = web_sys::window()?.navigator();
    let share: js_sys::Function = Reflect::get(&navigator, &"share".into()).ok()?.dyn_into().ok()?;
    let data = js_object(&[("title", title.into()), ("text", text.into())]);
    let promise: js_sys::Promise = share.call1(&navigator, &data).ok()?.dyn_into().ok()?;
    Some(JsFuture::from(promise).await.is_ok())
}

/// Whether this browser has a share sheet.
pub fn can_share() -> bool {
    web_sys::window()
        .is_some_and(|w| Reflect::get(&w.navigator(), &"share".into()).is_ok_and(|s| s.is_function()))
}

/// Puts `text` on the clipboard; whether it got there.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    JsFuture::from(window.navigator().clipboard().write_text(text)).await.is_ok()
}

/// A small value of the app's own in localStorage (`None` if missing or unreadable).
pub fn remembered<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    LocalStorage::get(key).ok()
}

/// Keeps a small value in localStorage; a full or refused storage only costs the reminder.
pub fn remember<T: Serialize>(key: &str, value: &T) {
    if let Err(e) = LocalStorage::set(key, value) {
        warn(&format!("could not remember {key}: {e}"));
    }
}

/// Drops a value [`remember`] kept.
pub fn forget_remembered(key: &str) {
    LocalStorage::delete(key);
}

/// A chunk of the app's code did not arrive (offline before the app was ever kept on this device,
/// or the server is unreachable). Nothing is lost: it can be asked for again. See `later.rs`.
#[derive(Clone, Copy, Debug)]
pub struct NotLoaded;

impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// Resolves after `duration`, on the browser's event loop.
pub async fn sleep(duration: std::time::Duration) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let ms = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
            if window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).is_err() {
                // No timer: resolve at once rather than never.
                let _resolved = resolve.call0(&JsValue::UNDEFINED);
            }
        }
    });
    // The promise only ever resolves.
    let _resolved = JsFuture::from(promise).await;
}

/// Resolves once the browser has painted what is on the page now: the next animation frame,
/// then a task after it (the paint happens between them). At once on a hidden page, which
/// has no frames until it is shown again (and may be killed before that).
pub async fn after_paint() {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden);
    if hidden {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(window) = web_sys::window() else {
            let _resolved = resolve.call0(&JsValue::UNDEFINED);
            return;
        };
        let later = resolve.clone();
        let after = Closure::once_into_js(move || {
            if let Some(window) = web_sys::window()
                && window.set_timeout_with_callback_and_timeout_and_arguments_0(&later, 0).is_ok()
            {
                return;
            }
            let _resolved = later.call0(&JsValue::UNDEFINED);
        });
        if window.request_animation_frame(after.unchecked_ref()).is_err() {
            // No frames to be had: go on at once.
            let _resolved = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _resolved = JsFuture::from(promise).await;
}

/// Whether the browser believes it has a network.
pub fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// A photo made small for a profile: the image in `file`, cropped to a centred square and
/// scaled to `size` pixels, as a JPEG data URL (a few kilobytes).
///
/// # Errors
/// If the browser cannot read or draw the image.
pub async fn small_photo(file: &web_sys::File, size: u32) -> Result<String, JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(file)?;
    let image = web_sys::HtmlImageElement::new()?;
    image.set_src(&url);
    let decoded = JsFuture::from(image.decode()).await;
    web_sys::Url::revoke_object_url(&url)?;
    decoded?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas")?.unchecked_into();
    canvas.set_width(size);
    canvas.set_height(size);
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d")?.ok_or("no 2d context")?.unchecked_into();
    let (w, h) = (f64::from(image.natural_width()), f64::from(image.natural_height()));
    let side = w.min(h);
    context.draw_image_with_html_image_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
        &image,
        (w - side) / 2.0,
        (h - side) / 2.0,
        side,
        side,
        0.0,
        0.0,
        f64::from(size),
        f64::from(size),
    )?;
    canvas.to_data_url_with_type_and_encoder_options("image/jpeg", &JsValue::from_f64(0.8))
}

/// Deletes this app's database and starts afresh (after the account was erased).
pub fn forget_everything(database: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    if let Some(factory) = window.indexed_db()? {
        // The deletion finishes once every connection is closed; the reload below closes them.
        let _request = factory.delete_database(database)?;
    }
    if let Ok(storage) = window.local_storage()
        && let Some(storage) = storage
    {
        storage.clear()?;
    }
    window.location().replace("/")
}
