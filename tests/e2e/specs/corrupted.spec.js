// A damaged record does not brick the app: it says which document, keeps the bytes aside, and
// every other document works. Online, the relay's copy brings the damaged document back.
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
          const record = Array.isArray(value) ? new Uint8Array(value) : value;
          key === null ? tx.objectStore(store).put(record) : tx.objectStore(store).put(record, key);
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

const GARBAGE = [0xde, 0xad, 0xbe, 0xef, 1, 2, 3];

test("offline, a garbage journal: the app opens, names it, keeps the bytes aside, and the profile works", async ({ page, context }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.waitForOfflineReady();
  await context.setOffline(true);
  await journal.writeEntry("An entry that will be damaged.");
  await page.goto("/profile");
  await page.getByLabel("Name").fill("Maya Lindqvist");
  await journal.saved();

  await poke(page, "docs", await thisMonthsVolume(page), GARBAGE);
  await page.goto("/journal");
  const alert = page.getByTestId("health-alert");
  await expect(alert).toContainText(/Your journal for \w+ \d{4} could not be read\./);
  await expect(alert).toContainText("set aside on this device, not deleted");
  await expect(page.getByRole("button", { name: "New entry" })).toBeDisabled();

  await page.goto("/profile");
  await expect(page.getByLabel("Name")).toHaveValue("Maya Lindqvist");

  await page.goto("/settings");
  const setAside = page.locator(".set-aside li");
  await expect(setAside.first()).toContainText(/Your journal for \w+ \d{4} \(snapshot\)/);
  const download = page.waitForEvent("download");
  await setAside.first().getByRole("button", { name: "Download" }).click();
  expect((await download).suggestedFilename()).toMatch(/^amplify-journal-\d{4}-\d{2}-snapshot-\d+\.bin$/);

  await page.getByRole("link", { name: "Journal", exact: true }).click();
  await page.getByRole("button", { name: /Start a new journal for/ }).click();
  await journal.writeEntry("A fresh start.");
  await page.reload();
  await journal.ready();
  await journal.expectTitles(["A fresh start."]);
  await expect(page.getByTestId("health-alert")).toHaveCount(0);
});

test("online, a garbage journal comes back from the relay by itself", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("Kept safe by the relay.");
  await expect(page.getByTestId("sync-status")).toHaveText("Synced");
  // A second session records that this device has everything, so only a deliberate refetch
  // can bring the journal back.
  await page.reload();
  await expect(page.getByTestId("sync-status")).toHaveText("Synced");

  await poke(page, "docs", await thisMonthsVolume(page), GARBAGE);
  await page.reload();
  await journal.ready();
  await journal.expectTitles(["Kept safe by the relay."]);
  await expect(page.getByTestId("health-alert")).toHaveCount(0);
  // The damaged bytes are still set aside for support.
  await page.goto("/settings");
  await expect(page.locator(".set-aside li").first()).toContainText("(snapshot)");
});

test("one garbage change record: the rest of the journal is there and the damage is named", async ({ page, context }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.waitForOfflineReady();
  await context.setOffline(true);
  await journal.writeEntry("Still here after the damage.");
  await poke(page, "changes", null, { doc: await thisMonthsVolume(page), bytes: new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 7]) });
  await page.reload();
  await journal.ready();
  await expect(page.getByTestId("health-alert")).toContainText(
    /Part of your journal for \w+ \d{4} is not on this device right now\./,
  );
  await expect(page.getByTestId("health-alert")).toContainText("come back from the relay when you are online");
  await journal.expectTitles(["Still here after the damage."]);
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page.getByTestId("health-alert")).toHaveCount(0);
});

/** Overwrites the `n`th change record (1-based, oldest first) of `doc` with garbage. */
async function damageChangeRecord(page, doc, n) {
  return page.evaluate(
    ([doc, n]) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("amplify");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction("changes", "readwrite");
          const store = tx.objectStore("changes");
          const keys = store.index("by_doc").getAllKeys(IDBKeyRange.only(doc));
          let count = 0;
          keys.onsuccess = () => {
            count = keys.result.length;
            if (count >= n) store.put({ doc, bytes: new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 7, 7, 7]) }, keys.result[n - 1]);
          };
          tx.oncomplete = () => {
            open.result.close();
            resolve(count);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    [doc, n],
  );
}

for (const starts of [1, 2, 3]) {
  test(`a damaged change record and ${starts} offline start(s): what the relay holds comes back online`, async ({ page, context }) => {
    const journal = new JournalPage(page);
    await journal.open();
    await journal.waitForOfflineReady();
    await journal.writeEntry("Entry one");
    await journal.writeEntry("Entry two");
    await expect(page.getByTestId("sync-status")).toHaveText("Synced", { timeout: 20_000 });
    // A second session records that this device has everything the relay holds.
    await page.reload();
    await expect(page.getByTestId("sync-status")).toHaveText("Synced", { timeout: 20_000 });

    await context.setOffline(true);
    const records = await damageChangeRecord(page, await thisMonthsVolume(page), 3);
    expect(records, "the journal has at least three change records").toBeGreaterThanOrEqual(3);
    for (let i = 0; i < starts; i++) {
      await page.reload();
      await journal.ready();
      const alert = page.getByTestId("health-alert");
      // Every offline start says what is missing and that it comes back online, in words.
      await expect(alert).toContainText("not on this device right now");
      await expect(alert).toContainText("come back from the relay when you are online");
      await expect(alert).not.toContainText("chunk");
      await expect(alert).not.toContainText("everything else is here");
      await expect(alert.getByRole("button", { name: /Start a new journal/ })).toHaveCount(0);
    }

    await context.setOffline(false);
    await journal.expectTitles(["Entry two", "Entry one"]);
    await expect(page.getByTestId("sync-status")).toHaveText("Synced", { timeout: 20_000 });
    await expect(page.getByTestId("health-alert")).toHaveCount(0);
    await page.reload();
    await journal.ready();
    await journal.expectTitles(["Entry two", "Entry one"]);
    await expect(page.getByTestId("health-alert")).toHaveCount(0);
    // The damaged bytes stay set aside for support, with the details in the report.
    await page.goto("/settings");
    await expect(page.locator(".set-aside li").first()).toContainText("(change)");
  });
}
