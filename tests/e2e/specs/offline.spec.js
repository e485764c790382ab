// After the first visit, the app opens, works and keeps everything with no network at all.
import { test, expect } from "@playwright/test";
import { JournalPage } from "../support/journal.js";

test("offline on a flight: write three entries, close, reopen, still offline, all there", async ({ context, page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.waitForOfflineReady();

  await context.setOffline(true);
  await page.reload();
  await journal.ready();
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  for (const text of ["Taking off to Tokyo.", "Over Siberia, thinking about my experiment.", "What do I stand for? Candour."]) {
    await journal.writeEntry(text);
  }
  await page.reload();
  await journal.ready();
  await expect(page.locator(".count")).toHaveText("3 entries");

  // Close the app entirely and open it again, still offline.
  await page.close();
  const reopened = await context.newPage();
  const again = new JournalPage(reopened);
  await again.open("/journal");
  await again.expectTitles([
    "What do I stand for? Candour.",
    "Over Siberia, thinking about my experiment.",
    "Taking off to Tokyo.",
  ]);
  // A deep link works offline too: every route is the cached shell.
  await reopened.goto("/settings");
  await expect(reopened.getByRole("heading", { name: "Settings" })).toBeVisible();
});
