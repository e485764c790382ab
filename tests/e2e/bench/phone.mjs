// A first visit and a return visit on a phone, as issue 10 measures them: 390x844, 150 ms
// round trips, 1.6 Mbps down, 0.75 Mbps up, the CPU slowed 4x, files sent brotli-compressed as
// an HTTPS server sends them. Prints, for cold (nothing cached) and warm (the service worker's
// cache), the median of 3 runs of: time to the frame (first contentful paint: the page's own
// frame, before the wasm), to the journal visible, and to the editor usable (a tap on "New
// entry" opens an entry one can type into). Also the bytes a cold visit transferred. Asserts
// nothing. Run by `./x bench`.
import { chromium } from "playwright-core";
import { CHROMIUM } from "../support/env.js";
import { copyOfDist, startServer, stopServer } from "../support/server.js";

const RUNS = 3;
const server = await startServer({ port: 18798, dist: copyOfDist() });
const browser = await chromium.launch(CHROMIUM);

const PHONE = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};

async function throttle(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  // Chromium advertises brotli only over HTTPS; this loopback server is plain HTTP.
  await cdp.send("Network.setExtraHTTPHeaders", { headers: { "Accept-Encoding": "br, gzip" } });
  await cdp.send("Network.emulateNetworkConditions", PHONE);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  return cdp;
}

/** Opens the journal and measures the three moments, in ms from navigation start. */
async function visit(page) {
  let transferred = 0;
  const cdp = await throttle(page);
  cdp.on("Network.loadingFinished", (e) => (transferred += e.encodedDataLength));
  // The tap on "New entry" and the moment its text box appears are taken on the page itself,
  // as soon as the journal is painted: round trips from the harness to find the button and
  // ask for the time would add their own latency to the app's.
  await page.addInitScript(() => {
    const afterPaint = (then) => requestAnimationFrame(() => setTimeout(then, 0));
    let tapped = false;
    const look = () => {
      if (window.editorUsable) return;
      if (document.getElementById("body")) {
        window.editorUsable = performance.now();
        return;
      }
      if (tapped || performance.getEntriesByName("journal-visible").length === 0) return;
      const button = [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === "New entry");
      if (button && !button.disabled) {
        tapped = true;
        afterPaint(() => button.click());
      }
    };
    new MutationObserver(look).observe(document, { childList: true, subtree: true, attributes: true });
    new PerformanceObserver(look).observe({ type: "mark" });
  });
  await page.goto(`${server.url}/journal`, { waitUntil: "commit" });
  await page.waitForFunction(() => performance.getEntriesByName("journal-visible").length > 0, null, { timeout: 120_000 });
  await page.locator("#body").waitFor({ timeout: 120_000 });
  const usable = await page.evaluate(() => window.editorUsable);
  const [frame, visible] = await page.evaluate(() => [
    performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
    performance.getEntriesByName("journal-visible")[0].startTime,
  ]);
  await page.locator("#body").fill("Measured.");
  await page.getByText("Saved on this device").waitFor();
  await cdp.detach();
  return { frame, visible, usable, transferred };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (name, runs) =>
  `  ${name.padEnd(6)} frame ${median(runs.map((r) => r.frame)).toFixed(0).padStart(5)} ms   ` +
  `journal visible ${median(runs.map((r) => r.visible)).toFixed(0).padStart(5)} ms   ` +
  `editor usable ${median(runs.map((r) => r.usable)).toFixed(0).padStart(5)} ms   ` +
  `transferred ${(median(runs.map((r) => r.transferred)) / 1024).toFixed(0)} KB`;

const cold = [];
const warm = [];
for (let run = 0; run < RUNS; run++) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
  const page = await context.newPage();
  cold.push(await visit(page));
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && navigator.serviceWorker.controller);
  const again = await context.newPage();
  await page.close();
  warm.push(await visit(again));
  await context.close();
}
console.log(`first and return visit on a throttled phone (150 ms RTT, 1.6 Mbps, 4x CPU; median of ${RUNS}):`);
console.log(row("cold", cold));
console.log(row("warm", warm));

await browser.close();
await stopServer(server);
