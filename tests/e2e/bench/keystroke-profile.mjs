// Where a keystroke's time goes, by function: the first key typed in a freshly opened entry
// against the key after it, in Chromium, unthrottled, 390x844. Needs a build that keeps the
// wasm's function names (`./x profile` makes one: not split, not through wasm-opt, which both
// drop the name section); with the shipped build every wasm frame is a number.
//
// For each of RUNS fresh devices: writes an entry, opens it again, then samples the CPU
// (every 25 us) for 60 ms around each of two keystrokes typed 120 ms apart. Prints, per key,
// each key's time from keydown to the input's listeners done (the app's handler and the
// microtasks it queued) and to the next animation frame, then the functions by time spent in
// them and under them, averaged. Asserts nothing; not part of `./x bench`.
import { chromium } from "playwright-core";
import { CHROMIUM } from "../support/env.js";
import { startServer, stopServer } from "../support/server.js";

const dist = process.argv[2];
if (!dist) throw new Error("usage: node keystroke-profile.mjs DIST (a build with names: ./x profile)");
const RUNS = Number(process.env.RUNS ?? 6);
const server = await startServer({ port: 18806, dist });
const browser = await chromium.launch(CHROMIUM);

/** Time per function (ms), inclusive of what it called; each function counted once per sample. */
const spent = [new Map(), new Map()];
function add(into, profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = ({ callFrame: f }) => `${f.functionName || "(anonymous)"}${f.url ? ` ${f.url.split("/").pop()}` : ""}`;
  profile.samples.forEach((sample, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 25) / 1000;
    const seen = new Set();
    for (let id = sample; id !== undefined; id = parent.get(id)) seen.add(name(byId.get(id)));
    for (const n of seen) into.set(n, (into.get(n) ?? 0) + ms);
  });
}

const timings = [];
for (let run = 0; run < RUNS; run++) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/journal`);
  await page.getByRole("button", { name: "New entry" }).click();
  await page.locator("#body").fill("A first entry.");
  await page.getByText("Saved on this device").waitFor();
  await page.goto(`${server.url}/journal`);
  await page.locator(".entry-card").first().click();
  await page.locator("#body").click();
  await page.keyboard.press("End");
  await page.waitForTimeout(1000);
  await page.evaluate(() => {
    window.timings = [];
    addEventListener("keydown", (e) => {
      const t = { start: e.timeStamp };
      window.timings.push(t);
      requestAnimationFrame(() => (t.frame = performance.now() - t.start));
    }, true);
    addEventListener("input", () => (window.timings.at(-1).handled = performance.now() - window.timings.at(-1).start));
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 25 });
  for (const [i, key] of ["a", "b"].entries()) {
    await cdp.send("Profiler.start");
    await page.keyboard.press(key);
    await page.waitForTimeout(60);
    add(spent[i], (await cdp.send("Profiler.stop")).profile);
    await page.waitForTimeout(60);
  }
  timings.push(await page.evaluate(() => window.timings));
  await context.close();
}

const f = (x) => x.toFixed(1).padStart(5);
for (const [i, which] of ["first key", "second key"].entries()) {
  const ts = timings.map((t) => t[i]);
  console.log(`${which}: listeners done ${ts.map((t) => f(t.handled)).join(" ")} ms; next frame ${ts.map((t) => f(t.frame)).join(" ")} ms`);
}
for (const [i, which] of ["first key", "second key"].entries()) {
  console.log(`\n${which}: time in and under each function, ms per key (mean of ${RUNS}; 60 ms sampled)`);
  const rows = [...spent[i]].filter(([n]) => !/^\((root|program|idle)\)/.test(n)).sort((a, b) => b[1] - a[1]);
  for (const [n, ms] of rows.slice(0, 40)) console.log(`${(ms / RUNS).toFixed(2).padStart(6)}  ${n.slice(0, 140)}`);
}
await browser.close();
await stopServer(server);
