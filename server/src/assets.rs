//! The built app: files from the dist directory with cache headers that fit how they change.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::SystemTime,
};

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use tower_http::services::{ServeDir, ServeFile};

/// How long a browser may keep a response without asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Content-hashed files: a new build has new names, so they never change.
    Immutable,
    /// Files whose name stays while their content changes (index.html, sw.js, the manifest).
    Revalidate,
    /// Icons and such: rarely change, fine to be a day stale.
    Day,
}

impl Caching {
    /// Decides from the request path alone.
    pub fn for_path(path: &str) -> Caching {
        let name = path.rsplit('/').next().unwrap_or("");
        if is_hashed(name) {
            Caching::Immutable
        } else if path.starts_with("/icons/") {
            Caching::Day
        } else {
            Caching::Revalidate
        }
    }

    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Caching::Immutable => "public, max-age=31536000, immutable",
            Caching::Revalidate => "no-cache",
            Caching::Day => "public, max-age=86400",
        })
    }
}

/// Trunk names hashed files `stem-<hash>[_bg].ext`, and an initializer `<hash>-stem.ext`, the
/// hash a 64-bit number in hex without leading zeros (so now and then shorter than 16 digits).
fn is_hashed(name: &str) -> bool {
    let is_hash = |hash: &str| (10..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit());
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| is_hash(hash))
        || stem.split_once('-').is_some_and(|(hash, _)| is_hash(hash))
}

/// Serves `dist`: real files as they are; any other path without a file extension gets
/// index.html, so the app's routes work on reload; a missing file with an extension is a 404.
/// The build writes a brotli and a gzip copy beside each file (`scripts/compress.mjs`): those
/// are sent as they are to a browser that takes them, never compressed again per request.
pub(crate) fn router(dist: &Path) -> Router {
    let index = dist.join("index.html");
    let page = ServeFile::new(index.clone()).precompressed_br().precompressed_gzip();
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip().fallback(page);
    let policy = Arc::new(PagePolicy { index, cached: Mutex::new(None) });
    Router::new().fallback_service(files).layer(middleware::from_fn_with_state(policy, headers))
}

/// The pages' Content-Security-Policy. Trunk writes one inline module script into index.html
/// (the loader); the policy allows exactly that script by its hash, so no other inline script
/// runs. Recomputed when index.html changes (a new deploy).
#[derive(Debug)]
struct PagePolicy {
    index: PathBuf,
    cached: Mutex<Option<(SystemTime, HeaderValue)>>,
}

impl PagePolicy {
    fn header(&self) -> HeaderValue {
        let modified = std::fs::metadata(&self.index).and_then(|m| m.modified()).ok();
        let mut cached = self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (Some(modified), Some((at, value))) = (modified, cached.as_ref())
            && *at == modified
        {
            return value.clone();
        }
        let html = std::fs::read_to_string(&self.index).unwrap_or_default();
        let hashes: String = inline_scripts(&html)
            .map(|script| format!(" 'sha256-{}'", STANDARD.encode(Sha256::digest(script.as_bytes()))))
            .collect();
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
             worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'"
        );
        let value = HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'self'"));
        if let Some(modified) = modified {
            *cached = Some((modified, value.clone()));
        }
        value
    }
}

/// The text of every `<script>` without a `src` in `html`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, body) = rest.split_once('>')?;
        if attributes.contains("src=") {
            return None;
        }
        Some(body.split_once("</script>")?.0)
    })
}

async fn headers(State(policy): State<Arc<PagePolicy>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let last = path.rsplit('/').next().unwrap_or("");
    let wants_file = last.contains('.') && !last.ends_with(".html");
    let mut response = next.run(request).await;
    // ServeDir fell back to index.html for a path that names a file: say it is missing instead.
    let is_html =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if wants_file && is_html {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let caching = if is_html { Caching::Revalidate } else { Caching::for_path(&path) };
    let not_modified = response.status() == StatusCode::NOT_MODIFIED;
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, caching.header());
    // The same path answers brotli, gzip or plain bytes: caches must keep them apart.
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if not_modified {
        // A 304's headers replace the cached response's: it carries no policy of its own, so a
        // revalidated page keeps the one it was served with.
    } else if is_html {
        h.insert(header::CONTENT_SECURITY_POLICY, policy.header());
    } else {
        // Scripts, styles, the wasm and icons: nothing in them may load anything else.
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inline_scripts_are_hashed() {
        let html = "<script type=\"module\">boot()</script><script src=\"/x.js\"></script><script>b</script>";
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), ["boot()", "b"]);
    }

    #[test]
    fn hashed_names_are_immutable_and_the_rest_revalidate() {
        assert_eq!(Caching::for_path("/app-7c86f44bd373b58f.js"), Caching::Immutable);
        assert_eq!(Caching::for_path("/app-7c86f44bd373b58f_bg.wasm"), Caching::Immutable);
        assert_eq!(Caching::for_path("/style-2d3a0e76a7aa9888.css"), Caching::Immutable);
        assert_eq!(Caching::for_path("/df2c7c6233e21af7-boot.js"), Caching::Immutable);
        // A hash with a leading zero is written one digit shorter.
        assert_eq!(Caching::for_path("/app-88f23d5ca1fb687_bg.wasm"), Caching::Immutable);
        assert_eq!(Caching::for_path("/sw.js"), Caching::Revalidate);
        assert_eq!(Caching::for_path("/index.html"), Caching::Revalidate);
        assert_eq!(Caching::for_path("/manifest.webmanifest"), Caching::Revalidate);
        assert_eq!(Caching::for_path("/my-notes.js"), Caching::Revalidate);
        assert_eq!(Caching::for_path("/icons/icon-192.png"), Caching::Day);
    }
}
