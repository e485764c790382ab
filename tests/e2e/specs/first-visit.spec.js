// The first contact with Amplify is an invite link on a slow phone: the page itself shows the
// app's frame and what is happening while the wasm streams in, and nothing is downloaded twice.
import { test, expect } from "@playwright/test";
import { join } from "node:path";
import { JournalPage } from "../support/journal.js";
import { ARTIFACTS, ROOT } from "../support/env.js";
import { startServer, stopServer } from "../support/server.js";

test("an invite link shows the app's frame and 'joining' before the app has arrived", async ({ page }) => {
  // Hold the wasm back, as a slow network would.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await page.route("**/*_bg.wasm", async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("/join#invite-that-is-not-real", { waitUntil: "commit" });
  await expect(page.getByRole("heading", { name: "Joining your group…" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText(/invitation opens in a moment/);
  await expect(page.getByRole("progressbar", { name: "Loading Amplify" })).toBeVisible();
  await expect(page.getByText("Amplify", { exact: true })).toBeVisible();
  await page.screenshot({ path: join(ARTIFACTS, "first-visit-joining.png") });

  release();
  // The app replaces the frame once it runs.
  await expect(page.getByRole("heading", { name: "Joining your group…" })).toHaveCount(0);
  await expect(page.getByRole("progressbar", { name: "Loading Amplify" })).toHaveCount(0);
  await expect(page.locator("header.topbar")).toBeVisible();
});

test("a first visit downloads the wasm once, precompressed, cached for good", async ({ browser }) => {
  const server = await startServer({ port: 18797, dist: join(ROOT, "dist"), env: { RUST_LOG: "info,tower_http=debug" } });
  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  try {
    const journal = new JournalPage(page);
    await journal.open();
    await journal.waitForOfflineReady();
    const wasm = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => e.name).find((n) => n.endsWith("_bg.wasm")),
    );
    const path = new URL(wasm).pathname;
    // Every request the server answered for the wasm: the page's, and none for the service
    // worker's precache (it takes the page's copy from the HTTP cache).
    const fetched = server.log().split("\n").filter((l) => l.includes("started processing request") && l.includes(`uri=${path} `));
    expect(fetched).toHaveLength(1);

    // As an HTTPS server sends it: the brotli copy the build wrote, immutable.
    const response = await fetch(server.url + path, { headers: { "accept-encoding": "br" } });
    expect(response.headers.get("content-encoding")).toBe("br");
    expect(response.headers.get("cache-control")).toContain("immutable");
    expect(response.headers.get("vary")).toBe("accept-encoding");

    // Every script the app's script imports is preloaded beside it: none waits for it to arrive
    // first (one round trip more before the app starts).
    const html = await (await fetch(server.url + "/")).text();
    const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]);
    const script = preloaded.find((href) => /^\/app-[0-9a-f]+\.js$/.test(href));
    const imports = [...(await (await fetch(server.url + script)).text()).matchAll(/^import .* from "\.(\/[^"]+)"/gm)];
    expect(imports.length).toBeGreaterThan(0);
    for (const [, path] of imports) expect(preloaded).toContain(path);
  } finally {
    await context.close();
    await stopServer(server);
  }
});

test("the first download is at most 500 KB brotli: the page, its styles, scripts and wasm", async ({ baseURL }) => {
  const br = { headers: { "accept-encoding": "br" } };
  const sized = async (path) => {
    const response = await fetch(new URL(path, baseURL), br);
    expect(response.ok, path).toBe(true);
    expect(response.headers.get("content-encoding"), path).toBe("br");
    return Number(response.headers.get("content-length"));
  };
  const html = await (await fetch(new URL("/", baseURL))).text();
  const first = [...html.matchAll(/<link rel="(?:stylesheet|modulepreload|preload)" href="([^"]+)"/g)].map((m) => m[1]);
  expect(first.some((path) => path.endsWith("_bg.wasm"))).toBe(true);
  let total = await sized("/");
  for (const path of first) total += await sized(path);
  // What the rest of the app adds (automerge, the other pages, sync) arrives as chunks.
  expect(total).toBeGreaterThan(100 * 1024);
  expect(total, `first download ${(total / 1024).toFixed(0)} KB`).toBeLessThanOrEqual(500 * 1024);
});

const AUTOMERGE = /\/split_automerge-[0-9a-f]{16}\.wasm$/;

test("automerge arrives after the first download; while it cannot be fetched the journal shows what it kept and says so, then writing opens", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, serviceWorkers: "block" });
  const page = await context.newPage();
  try {
    const journal = new JournalPage(page);
    await journal.open();
    await journal.writeEntry("Opened on the train.");
    // Opened once more, so this start keeps the month's list for the next.
    await journal.open();
    await page.waitForFunction(() => performance.getEntriesByName("journal-all-months").length > 0);

    let asked = 0;
    await page.route(AUTOMERGE, (route) => {
      asked += 1;
      return route.abort();
    });
    await page.reload();
    await expect(page.getByTestId("engine-delayed")).toBeVisible();
    await journal.expectTitles(["Opened on the train."]);
    expect(asked).toBeGreaterThan(0);

    await page.unroute(AUTOMERGE);
    await expect(page.getByTestId("engine-delayed")).toHaveCount(0, { timeout: 20_000 });
    await journal.writeEntry("Written once it arrived.");
    await journal.expectTitles(["Written once it arrived.", "Opened on the train."]);
    await journal.open();
    await journal.expectTitles(["Written once it arrived.", "Opened on the train."]);
  } finally {
    await context.close();
  }
});

test("an entry started before automerge arrives: the text box is there at once, keeps every word across a reload, and becomes the entry", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, serviceWorkers: "block" });
  const page = await context.newPage();
  try {
    const journal = new JournalPage(page);
    await journal.open();
    await page.route(AUTOMERGE, (route) => route.abort());
    await page.reload();
    await expect(page.getByTestId("engine-delayed")).toBeVisible();
    // Nothing stored yet: the journal knows it is empty without automerge.
    await expect(page.locator(".count")).toHaveText("No entries yet. Your first one is a tap away.");

    await journal.newEntry();
    await expect(page.getByTestId("draft-status")).toBeVisible();
    await journal.body.pressSequentially("On the tarmac, ");
    // The page is reloaded before automerge came: the words are still there.
    await page.reload();
    await expect(journal.body).toHaveValue("On the tarmac, ");
    await expect(page.getByTestId("draft-status")).toBeVisible();
    await journal.body.focus();
    await journal.body.press("End");
    await journal.body.pressSequentially("no signal");

    // Once it arrives the draft becomes the entry, under the same caret.
    await page.unroute(AUTOMERGE);
    await expect(page.locator("fieldset.energy")).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId("draft-status")).toHaveCount(0);
    await expect(journal.body).toBeFocused();
    await journal.body.pressSequentially(" yet.");
    await expect(journal.body).toHaveValue("On the tarmac, no signal yet.");
    await journal.saved();
    await journal.backToJournal();
    await journal.expectTitles(["On the tarmac, no signal yet."]);
    await page.reload();
    await journal.ready();
    await journal.expectTitles(["On the tarmac, no signal yet."]);
  } finally {
    await context.close();
  }
});

test("a draft typed while the device's storage is full says so and still becomes the whole entry", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, serviceWorkers: "block" });
  const page = await context.newPage();
  try {
    const journal = new JournalPage(page);
    await journal.open();
    await page.route(AUTOMERGE, (route) => route.abort());
    // localStorage refuses every draft, as a full one does.
    await page.addInitScript(() => {
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        if (key.startsWith("amplify.draft.")) throw new DOMException("full", "QuotaExceededError");
        return setItem.call(this, key, value);
      };
    });
    await page.reload();
    await expect(page.getByTestId("engine-delayed")).toBeVisible();
    await journal.newEntry();
    await journal.body.pressSequentially("Every word of this stays");
    await expect(page.getByTestId("draft-status")).toContainText("storage is full");

    await page.unroute(AUTOMERGE);
    await expect(page.locator("fieldset.energy")).toBeVisible({ timeout: 20_000 });
    await expect(journal.body).toHaveValue("Every word of this stays");
    await journal.saved();
    await journal.backToJournal();
    await journal.expectTitles(["Every word of this stays"]);
  } finally {
    await context.close();
  }
});

const CHUNK = /\/split_later-[0-9a-f]{16}\.wasm$/;

test("the first download leaves the other pages out; they arrive when opened, and a failed fetch can be tried again", async ({ browser, baseURL }) => {
  // No service worker: it would fetch every file for the device to keep, which is the next test.
  const context = await browser.newContext({ baseURL, serviceWorkers: "block" });
  const page = await context.newPage();
  const fetched = [];
  page.on("request", (request) => CHUNK.test(request.url()) && fetched.push(request.url()));
  try {
    const journal = new JournalPage(page);
    await journal.open();
    await journal.writeEntry("Opened on the train.");
    expect(fetched).toHaveLength(0);

    // The network fails as Maya opens Settings: she is told so, and nothing else is touched.
    await page.route(CHUNK, (route) => route.abort());
    await page.getByRole("link", { name: "More" }).click();
    await page.getByRole("link", { name: "Settings, devices and export" }).click();
    await expect(page.getByRole("alert")).toContainText("This page could not be fetched");
    expect(fetched.length).toBeGreaterThan(0);

    await page.unroute(CHUNK);
    await page.getByRole("button", { name: "Try again" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
    await page.getByRole("link", { name: "Journal", exact: true }).click();
    await journal.expectTitles(["Opened on the train."]);
  } finally {
    await context.close();
  }
});

test("offline, a device that kept the app opens the other pages too", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  try {
    const journal = new JournalPage(page);
    await journal.open();
    await journal.waitForOfflineReady();
    await context.setOffline(true);
    await page.getByRole("link", { name: "More" }).click();
    await page.getByRole("link", { name: "Settings, devices and export" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  } finally {
    await context.close();
  }
});

test("a page opened from the later chunk stays on screen while what it shows finishes loading", async ({ page }) => {
  // Count every time the Settings heading leaves the page once shown: a page that blinks back to
  // "Opening…" loses what the person was doing on it (a confirmation half done, a click).
  await page.addInitScript(() => {
    window.amplifyBlinks = 0;
    new MutationObserver((records) => {
      for (const record of records)
        for (const node of record.removedNodes)
          if (node.nodeType === 1 && (node.matches("h1") ? node : node.querySelector("h1"))?.textContent === "Settings")
            window.amplifyBlinks += 1;
    }).observe(document, { childList: true, subtree: true });
  });
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("Before the settings.");
  // Opened directly, as a reload would: the page is drawn before the device's data has loaded,
  // and what it shows then loads under it.
  await page.goto("/settings");
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Journal as Markdown" })).toBeEnabled();
  await expect(page.getByText("Nothing has been set aside")).toBeVisible();
  // Whatever was still loading (records read from storage) has had time to finish.
  await page.waitForTimeout(1_000);
  expect(await page.evaluate(() => window.amplifyBlinks)).toBe(0);
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
});

test("the sync engine arrives after the journal; if it cannot be fetched, the words wait and go once it can", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, serviceWorkers: "block" });
  const page = await context.newPage();
  const engine = /\/split_sync-[0-9a-f]{16}\.wasm$/;
  let asked = 0;
  await page.route(engine, (route) => {
    asked += 1;
    return route.abort();
  });
  try {
    const journal = new JournalPage(page);
    await journal.open();
    await journal.writeEntry("Written before the engine came.");
    await expect.poll(() => asked).toBeGreaterThan(0);
    await expect(page.getByTestId("sync-status")).not.toHaveText("Synced");

    await page.unroute(engine);
    await expect(page.getByTestId("sync-status")).toHaveText("Synced", { timeout: 30_000 });
    await journal.expectTitles(["Written before the engine came."]);
  } finally {
    await context.close();
  }
});
