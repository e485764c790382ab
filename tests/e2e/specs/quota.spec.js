// A full device is said in words, and what is being typed stays in the editor until it saves.
import { test, expect } from "@playwright/test";
import { JournalPage } from "../support/journal.js";

test("out of quota: the text stays, the status says why, and it saves once there is room", async ({ page, baseURL }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.newEntry();
  await journal.write("Written before the disk filled up.");

  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(baseURL).origin;
  await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: 1 });
  const big = "A long reflection on the immersion week. ".repeat(2000);
  await journal.body.fill(big);
  await expect(journal.status).toContainText("out of storage space");
  await expect(journal.status).toContainText("Your text is still here");
  await expect(journal.body).toHaveValue(big);

  // Space comes back (the person deleted photos): the retry saves without a keystroke.
  await cdp.send("Storage.overrideQuotaForOrigin", { origin });
  await expect(journal.status).toHaveText("Saved on this device", { timeout: 20_000 });
  await page.reload();
  await expect(journal.body).toHaveValue(big);
});
