// A big journal in Chromium, unthrottled, 390x844: 100 and 500 entries in this month, and
// 1,000 entries over seven months. The volumes are written natively (the journal_fixture example)
// and put into a fresh device's IndexedDB, then the app is reloaded. Prints, for each size:
// - warm start (service worker) to the first month shown and to every month loaded;
// - search: each keystroke's latency from input to the next paint (a keydown to the frame after
//   it; frames come every 16.7 ms, so a keystroke that costs little still waits for one), typed
//   at a person's pace so the filtering the list does in between is measured too; and the
//   browser's own Event Timing (what INP is made of): keystrokes it reports over 16 ms;
// - typing in an entry: the same;
// - opening an entry from the list and going back to the list.
// Asserts nothing. Run by `./x bench`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM } from "../support/env.js";
import { copyOfDist, startServer, stopServer } from "../support/server.js";

const ROOT = new URL("../../..", import.meta.url).pathname;
const server = await startServer({ port: 18799, dist: copyOfDist() });
const browser = await chromium.launch(CHROMIUM);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const ms = (x) => `${x.toFixed(0)} ms`;
const latency = ([xs, reported]) => {
  // Event Timing rounds to 8 ms and reports from 16 ms up: over 16 means 24 ms or more.
  const slow = reported.filter((d) => d > 16);
  return (
  `to the next paint p50 ${ms(pct(xs, 50))}, p99 ${ms(pct(xs, 99))}, max ${ms(Math.max(...xs))}; ` +
  `Event Timing over 16 ms: ${slow.length} of ${xs.length}${slow.length ? ` (worst ${ms(Math.max(...slow))})` : ""}`
  );
};
// Event Timing reports an interaction once its frame is presented, a moment after it: the last
// keys' entries arrive after a short wait, not at once.
const keys = async (page) => {
  await page.waitForTimeout(250);
  return page.evaluate(() => [window.latencies, [...window.slow.values()]]);
};

/** Volumes written by the fixture: [document id, bytes]. */
function fixture(entries, months) {
  const dir = mkdtempSync(join(tmpdir(), "amplify-journal-"));
  execFileSync(
    "cargo",
    ["run", "--release", "--offline", "--quiet", "-p", "amplify", "--example", "journal_fixture", "--", dir, `${entries}`, `${months}`, `${Date.now()}`],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  return readdirSync(dir).map((f) => [f.replace(".bin", "").replace("_", "/"), [...readFileSync(join(dir, f))]]);
}

/**
 * Records, for each keydown, the time to the frame after it, in `window.latencies`; and in
 * `window.slow` each keyboard interaction the Event Timing API reports over 16 ms.
 */
async function watchKeys(page) {
  await page.evaluate(() => {
    window.latencies = [];
    window.slow = new Map();
    if (window.watching) return;
    window.watching = true;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.interactionId) window.slow.set(e.interactionId, Math.max(window.slow.get(e.interactionId) ?? 0, e.duration));
      }
    }).observe({ type: "event", durationThreshold: 16 });
    addEventListener(
      "keydown",
      (e) => {
        const start = e.timeStamp;
        requestAnimationFrame(() => setTimeout(() => window.latencies.push(performance.now() - start)));
      },
      true,
    );
  });
}

async function marks(page) {
  await page.waitForFunction(() => performance.getEntriesByName("journal-visible").length > 0, null, { timeout: 60_000 });
  return page.evaluate(() => [
    performance.getEntriesByName("journal-first-month")[0]?.startTime ?? NaN,
    performance.getEntriesByName("journal-visible")[0].startTime,
  ]);
}

for (const [entries, months] of [
  [100, 1],
  [500, 1],
  [1000, 7],
]) {
  const volumes = fixture(entries, months);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/journal`);
  await marks(page);
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && navigator.serviceWorker.controller);
  await page.evaluate(async (volumes) => {
    const db = await new Promise((ok, fail) => {
      const open = indexedDB.open("amplify");
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    const tx = db.transaction(["docs"], "readwrite");
    for (const [id, bytes] of volumes) tx.objectStore("docs").put(new Uint8Array(bytes), id);
    await new Promise((ok, fail) => {
      tx.oncomplete = ok;
      tx.onerror = () => fail(tx.error);
    });
    db.close();
  }, volumes);

  const first = [];
  const all = [];
  for (let run = 0; run < 3; run++) {
    await page.reload();
    const [f, a] = await marks(page);
    first.push(f);
    all.push(a);
  }
  await page.getByText(`${entries} entries`, { exact: true }).waitFor();

  // Search, at about five keystrokes a second.
  await watchKeys(page);
  const search = page.getByLabel("Search entries");
  await search.click();
  await search.pressSequentially("courage tokyo", { delay: 200 });
  await page.waitForFunction(() => location.search.includes("tokyo"));
  const searchKeys = await keys(page);
  await search.fill("");
  await page.getByText(`${entries} entries`, { exact: true }).waitFor();

  // Opening the newest entry and going back, five times.
  const open = [];
  const back = [];
  for (let run = 0; run < 5; run++) {
    // A person scrolls to the card before tapping it: the scroll is not the app's time (with
    // seven months the first card starts lower, under the tab bar of a 844 px screen, and the
    // click would wait for the bar to let it through).
    const card = page.locator(".entry-card").first();
    await card.evaluate((el) => el.scrollIntoView({ block: "center" }));
    const t0 = await page.evaluate(() => performance.now());
    await card.click();
    await page.locator("#body").waitFor();
    const t1 = await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok(performance.now()))));
    open.push(t1 - t0);
    await page.getByRole("link", { name: "← Journal" }).click();
    await page.locator(".entry-card").first().waitFor();
    const t2 = await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok(performance.now()))));
    back.push(t2 - t1);
  }

  // Typing in that entry at about eight keystrokes a second.
  await page.locator(".entry-card").first().click();
  const body = page.locator("#body");
  await body.click();
  await page.keyboard.press("End");
  await watchKeys(page);
  await page.keyboard.type(" and the team answered before I did, which was the point.", { delay: 120 });
  const entryKeys = await keys(page);
  await page.getByText("Saved on this device").waitFor();
  await context.close();

  console.log(`journal of ${entries} entries in ${months} month${months > 1 ? "s" : ""} (Chromium, 390x844, unthrottled):`);
  console.log(`  warm start: this month shown ${ms(median(first))}, every month loaded ${ms(median(all))} (median of 3)`);
  console.log(`  search keystrokes: ${latency(searchKeys)}`);
  console.log(`  entry keystrokes:  ${latency(entryKeys)}`);
  console.log(`  open an entry ${ms(median(open))}, back to the list ${ms(median(back))} (median of 5)`);
}

await browser.close();
await stopServer(server);
