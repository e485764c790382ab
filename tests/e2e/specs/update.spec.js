// A new deploy is offered, never forced: the app says a new version is ready and reloads only
// when the person says so, after saving.
import { test, expect } from "@playwright/test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JournalPage } from "../support/journal.js";
import { copyOfDist, startServer, stopServer } from "../support/server.js";

test("a new version waits for the person, then reloads after saving", async ({ browser }) => {
  const port = 18790;
  const dist = copyOfDist();
  let server = await startServer({ port, dist });
  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  const journal = new JournalPage(page);
  try {
    await journal.open();
    await journal.writeEntry("Written on version one.");
    await journal.waitForOfflineReady();

    // Deploy a new version: same origin, a changed service worker.
    await stopServer(server);
    const sw = join(dist, "sw.js");
    const next = readFileSync(sw, "utf8").replace(/const VERSION = "([0-9a-f]+)"/, 'const VERSION = "$1-next"');
    writeFileSync(sw, next);
    // A deploy writes the compressed copies too; this one only changed the plain file.
    rmSync(`${sw}.br`, { force: true });
    rmSync(`${sw}.gz`, { force: true });
    server = await startServer({ port, dist, dataDir: server.dataDir });

    await page.reload();
    await journal.ready();
    const banner = page.getByText("A new version of Amplify is ready.");
    await expect(banner).toBeVisible();

    // Nothing happens on its own: the person keeps writing.
    await journal.newEntry();
    await journal.body.fill("Typed just before reloading.");
    await page.waitForTimeout(1000);
    await expect(journal.body).toHaveValue("Typed just before reloading.");

    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Reload" }).click()]);
    await expect(journal.body).toHaveValue("Typed just before reloading.");
    await expect(banner).toHaveCount(0);
    const caches = await page.evaluate(() => caches.keys());
    expect(caches.some((name) => name.endsWith("-next"))).toBe(true);
    expect(caches).toHaveLength(1);
    await journal.backToJournal();
    await expect(page.locator(".count")).toHaveText("2 entries");
  } finally {
    await context.close();
    await stopServer(server);
  }
});
