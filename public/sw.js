/* Amplify's service worker: the app shell, cached per version, so the app opens offline.
 * scripts/precache.sh fills in VERSION and ASSETS at build time. */
const VERSION = "__AMPLIFY_VERSION__";
const ASSETS = ["__AMPLIFY_ASSETS__"];
const CACHE = `amplify-shell-${VERSION}`;

// Trunk's content-hashed names (`app-<hash>_bg.wasm`, `<hash>-boot.js`, the hash up to 16 hex
// digits): such a file never changes.
const HASHED = /(-[0-9a-f]{10,16}(_bg)?\.[a-z]+|\/[0-9a-f]{10,16}-[^/]+)$/;

self.addEventListener("install", (event) => {
  // A hashed file the page just loaded comes from the HTTP cache (it is immutable there), so a
  // first visit downloads the wasm once, not twice. The others skip the HTTP cache (`reload`),
  // so the shell is exactly this version's files.
  const requests = ASSETS.map((path) => new Request(path, { cache: HASHED.test(path) ? "default" : "reload" }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(requests)));
  // No skipWaiting here: a new version waits until the person chooses to reload.
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("amplify-shell-") && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  // The relay and the health check always go to the network.
  if (url.origin !== self.location.origin || url.pathname.startsWith("/sync") || url.pathname === "/healthz") {
    return;
  }
  if (request.mode === "navigate") {
    // Every route of the app is the same shell.
    event.respondWith(
      caches.open(CACHE).then((cache) => cache.match("/index.html")).then((hit) => hit || fetch(request)),
    );
    return;
  }
  event.respondWith(caches.open(CACHE).then((cache) => cache.match(request)).then((hit) => hit || fetch(request)));
});
