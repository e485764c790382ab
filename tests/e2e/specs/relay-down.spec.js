// When the relay is down the app keeps working, says why it cannot sync and that changes are
// waiting, and catches up by itself when the relay is back.
import { test, expect } from "@playwright/test";
import { join } from "node:path";
import { ROOT } from "../support/env.js";
import { Person } from "../support/people.js";
import { startServer, stopServer } from "../support/server.js";

test("relay down: changes wait on the device, then reach the other device", async ({ browser }) => {
  const port = 18791;
  let server = await startServer({ port, dist: join(ROOT, "dist") });
  const phone = await Person.open(browser, server.url);
  const laptop = await Person.open(browser, server.url);
  try {
    await phone.journal.ready();
    await phone.journal.writeEntry("Before the relay went down.");
    await phone.synced();
    await laptop.linkTo(phone);
    await laptop.journal.expectTitles(["Before the relay went down."]);

    await stopServer(server);
    await phone.page.goto("/journal");
    await expect(phone.badge).toHaveText(/^Can't reach the relay: /);
    await phone.journal.writeEntry("Written while the relay was down.");
    await phone.page.goto("/settings");
    // Starting the entry and typing it are saved (and queued) separately.
    await expect(phone.page.getByTestId("sync-waiting")).toHaveText(/^([2-9]|\d\d+) changes are only on this device so far\.$/);

    server = await startServer({ port, dist: join(ROOT, "dist"), dataDir: server.dataDir });
    await expect(phone.badge).toHaveText("Synced", { timeout: 30_000 });
    await expect(phone.page.getByTestId("sync-waiting")).toHaveText("Nothing: the relay has every change made here.");
    await expect(laptop.journal.entries).toContainText("Written while the relay was down.", { timeout: 30_000 });
  } finally {
    await phone.close();
    await laptop.close();
    await stopServer(server);
  }
});
