//! The built app: files from the dist directory with cache headers that fit how they change.

use std::path::Path;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
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

/// Trunk names hashed files `stem-<16 hex digits>[_bg].ext`.
fn is_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Serves `dist`: real files as they are; any other path without a file extension gets
/// index.html, so the app's routes work on reload; a missing file with an extension is a 404.
pub(crate) fn router(dist: &Path) -> Router {
    let index = dist.join("index.html");
    let files = ServeDir::new(dist).fallback(ServeFile::new(index));
    Router::new().fallback_service(files).layer(middleware::from_fn(headers))
}

async fn headers(request: Request, next: Next) -> Response {
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
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, caching.header());
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
                 style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
                 worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_immutable_and_the_rest_revalidate() {
        assert_eq!(Caching::for_path("/app-7c86f44bd373b58f.js"), Caching::Immutable);
        assert_eq!(Caching::for_path("/app-7c86f44bd373b58f_bg.wasm"), Caching::Immutable);
        assert_eq!(Caching::for_path("/style-2d3a0e76a7aa9888.css"), Caching::Immutable);
        assert_eq!(Caching::for_path("/sw.js"), Caching::Revalidate);
        assert_eq!(Caching::for_path("/index.html"), Caching::Revalidate);
        assert_eq!(Caching::for_path("/manifest.webmanifest"), Caching::Revalidate);
        assert_eq!(Caching::for_path("/my-notes.js"), Caching::Revalidate);
        assert_eq!(Caching::for_path("/icons/icon-192.png"), Caching::Day);
    }
}
