// Time from navigation to the journal being visible (the app's "journal-visible" performance
// mark), warm (the service worker's cache) and cold (no service worker, no HTTP cache: every
// byte from the server), with an empty journal and with 60 entries. Prints figures; asserts
// nothing. Run by `./x bench`.
import { chromium } from "playwright-core";
import { CHROMIUM } from "../support/env.js";
import { copyOfDist, startServer, stopServer } from "../support/server.js";

const RUNS = 5;
const server = await startServer({ port: 18795, dist: copyOfDist() });
const browser = await chromium.launch(CHROMIUM);

async function visible(page) {
  await page.waitForFunction(() => performance.getEntriesByName("journal-visible").length > 0);
  return page.evaluate(() => performance.getEntriesByName("journal-visible")[0].startTime);
}

async function seed(page, count) {
  for (let i = 0; i < count; i++) {
    await page.getByRole("button", { name: "New entry" }).click();
    await page.locator("#body").fill(`Entry ${i}: ${"a reflection on leading without a title ".repeat(40)}`);
    await page.getByRole("link", { name: "← Journal" }).click();
  }
  await page.getByText("Saved on this device").waitFor();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

for (const entries of [0, 60]) {
  const cold = [];
  const warm = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/journal`);
    await visible(page);
    await seed(page, entries);
    await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && navigator.serviceWorker.controller);

    await page.reload();
    warm.push(await visible(page));

    await page.evaluate(async () => {
      for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
      for (const key of await caches.keys()) await caches.delete(key);
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await page.reload();
    cold.push(await visible(page));
    await context.close();
  }
  console.log(`journal of ${entries} entries (${RUNS} runs each, 390x844, loopback):`);
  console.log(`  warm, from the service worker cache: ${fmt(warm)}`);
  console.log(`  cold, everything from the server:    ${fmt(cold)}`);
}

await browser.close();
await stopServer(server);
