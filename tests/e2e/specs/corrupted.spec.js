// A damaged record does not brick the app: it says which document, keeps the bytes aside, and
// every other document works.
import { test, expect } from "@playwright/test";
import { JournalPage } from "../support/journal.js";

/** The document id of this month's journal volume, on the browser's clock: `journal/2026-11`. */
function thisMonthsVolume(page) {
  return page.evaluate(() => {
    const now = new Date();
    return `journal/${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  });
}

/** Puts `value` under `key` in one of the app's IndexedDB stores, as damage would. */
async function poke(page, store, key, value) {
  await page.evaluate(
    ([store, key, value]) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("amplify");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction(store, "readwrite");
          const bytes = typeof value === "string" ? value : new Uint8Array(value);
          key === null ? tx.objectStore(store).put(bytes) : tx.objectStore(store).put(bytes, key);
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    [store, key, value],
  );
}

test("a garbage journal: the app opens, names it, keeps the bytes aside, and the profile still works", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("An entry that will be damaged.");
  await page.getByRole("link", { name: "Profile" }).click();
  await page.getByLabel("Name").fill("Maya Lindqvist");
  await journal.saved();

  await poke(page, "docs", await thisMonthsVolume(page), [0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
  await page.goto("/");
  const alert = page.getByTestId("health-alert");
  await expect(alert).toContainText(/Your journal for \w+ \d{4} could not be read\./);
  await expect(alert).toContainText("set aside on this device, not deleted");
  await expect(page.getByRole("button", { name: "New entry" })).toBeDisabled();

  await page.getByRole("link", { name: "Profile" }).click();
  await expect(page.getByLabel("Name")).toHaveValue("Maya Lindqvist");

  await page.getByRole("link", { name: "Settings" }).click();
  const setAside = page.locator(".set-aside li");
  await expect(setAside).toHaveCount(2);
  await expect(setAside.first()).toContainText(/Your journal for \w+ \d{4} \(snapshot\)/);
  const download = page.waitForEvent("download");
  await setAside.first().getByRole("button", { name: "Download" }).click();
  expect((await download).suggestedFilename()).toMatch(/^amplify-journal-\d{4}-\d{2}-snapshot-\d+\.bin$/);

  await page.getByRole("link", { name: "Journal" }).click();
  await page.getByRole("button", { name: /Start a new journal for/ }).click();
  await journal.writeEntry("A fresh start.");
  await page.reload();
  await journal.ready();
  await journal.expectTitles(["A fresh start."]);
  await expect(page.getByTestId("health-alert")).toHaveCount(0);
});

test("one garbage change record: the rest of the journal is there and the damage is named", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("Still here after the damage.");
  await page.evaluate(
    (volume) =>
      new Promise((resolve) => {
        const open = indexedDB.open("amplify");
        open.onsuccess = () => {
          const tx = open.result.transaction("changes", "readwrite");
          tx.objectStore("changes").add({ doc: volume, bytes: new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 7]) });
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
        };
      }),
    await thisMonthsVolume(page),
  );
  await page.reload();
  await journal.ready();
  await expect(page.getByTestId("health-alert")).toContainText(/Some recent edits to your journal for \w+ \d{4} could not be read\./);
  await journal.expectTitles(["Still here after the damage."]);
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page.getByTestId("health-alert")).toHaveCount(0);
});
