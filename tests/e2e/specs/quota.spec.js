// A full device is said in words, and what is being typed stays in the editor until it saves.
import { test, expect, chromium } from "@playwright/test";
import { join } from "node:path";
import { CHROMIUM } from "../support/env.js";
import { JournalPage } from "../support/journal.js";
import { fillStorage, freeStorage, mountSmallDisk, unmountSmallDisk } from "../support/small-disk.js";

test("disk full: the text stays, the status says why, and it saves once there is room", async ({ baseURL }) => {
  const disk = mountSmallDisk(64);
  const context = await chromium.launchPersistentContext(join(disk, "profile"), {
    ...CHROMIUM,
    baseURL,
    viewport: { width: 390, height: 844 },
  });
  try {
    const page = await context.newPage();
    const journal = new JournalPage(page);
    await journal.open();
    await journal.newEntry();
    await journal.write("Written before the disk filled up.");

    const filled = await fillStorage(page);
    expect(filled.error).toBe("QuotaExceededError");

    const more = "Written before the disk filled up. And a long reflection on the immersion week.";
    await journal.body.fill(more);
    await expect(journal.status).toContainText("out of storage space");
    await expect(journal.status).toContainText("Your text is still here");
    await expect(journal.body).toHaveValue(more);

    // Space comes back (the person deleted some photos): the retry saves without a keystroke.
    await freeStorage(page);
    await expect(journal.status).toHaveText("Saved on this device", { timeout: 45_000 });
    await page.reload();
    await expect(journal.body).toHaveValue(more);
  } finally {
    await context.close();
    unmountSmallDisk(disk);
  }
});
