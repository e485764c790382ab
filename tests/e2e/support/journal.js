// A page object for the journal: what a person does, in their words.
import { expect } from "@playwright/test";

export class JournalPage {
  /** @param {import('@playwright/test').Page} page */
  constructor(page) {
    this.page = page;
    this.status = page.getByTestId("save-status");
    this.entries = page.getByTestId("entries");
    this.search = page.getByLabel("Search entries");
    this.body = page.locator("#body");
  }

  async open(path = "/journal") {
    await this.page.goto(path);
    await this.ready();
  }

  /** The journal has finished opening. */
  async ready() {
    await expect(this.page.locator(".count")).not.toHaveText(/Opening/);
  }

  /** Starts an entry: free writing, or answering today's prompt. */
  async newEntry({ prompt = false } = {}) {
    const name = prompt ? "Write about this" : "New entry";
    await this.page.getByRole("button", { name }).click();
    await expect(this.body).toBeVisible();
  }

  async write(text) {
    await this.body.fill(text);
    await this.saved();
  }

  async addTag(tag) {
    await this.page.getByLabel("Add a tag").fill(tag);
    await this.page.getByLabel("Add a tag").press("Enter");
  }

  async setEnergy(label) {
    await this.page.locator("fieldset.energy").getByText(label, { exact: true }).click();
  }

  async saved() {
    await expect(this.status).toHaveText("Saved on this device");
  }

  async backToJournal() {
    await this.page.getByRole("link", { name: "← Journal" }).click();
    await this.ready();
  }

  /** Writes a whole entry and returns to the list. */
  async writeEntry(text, { tags = [], energy } = {}) {
    await this.newEntry();
    await this.write(text);
    for (const tag of tags) await this.addTag(tag);
    if (energy) await this.setEnergy(energy);
    await this.saved();
    await this.backToJournal();
  }

  /** Expects exactly these entry titles, top to bottom (retrying until they appear). */
  async expectTitles(titles) {
    await expect(this.entries.locator(".entry-card .title")).toHaveText(titles);
  }

  /** Waits until a service worker controls the page, so it will open offline. */
  async waitForOfflineReady() {
    await this.page.waitForFunction(async () => {
      const registration = await navigator.serviceWorker.ready;
      return registration.active && navigator.serviceWorker.controller !== null;
    });
  }
}

/**
 * A device's records after writing one entry in each of `months` (of 2026, on a faked clock,
 * the 12th at 9:00): "Month 9 of the programme"... For `restoreDevice` in another context.
 */
export async function monthsWritten(browser, months) {
  const seeding = await browser.newContext();
  const written = await seeding.newPage();
  const seed = new JournalPage(written);
  for (const month of months) {
    await written.clock.setFixedTime(new Date(2026, month - 1, 12, 9, 0));
    await seed.open();
    await seed.writeEntry(`Month ${month} of the programme`);
  }
  const records = await deviceRecords(written);
  await seeding.close();
  return records;
}

/**
 * Everything this device keeps in IndexedDB: each store's parameters and records. With
 * `restoreDevice`, another browser context becomes the same device (for a journal written on a
 * faked clock, then opened on the real one).
 */
export async function deviceRecords(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("amplify");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const names = [...db.objectStoreNames];
          const tx = db.transaction(names);
          const stores = names.map((name) => {
            const store = tx.objectStore(name);
            const indexes = [...store.indexNames].map((i) => {
              const index = store.index(i);
              return { name: i, keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry };
            });
            const record = { name, keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes, keys: [], values: [] };
            store.getAllKeys().onsuccess = (e) => (record.keys = e.target.result);
            store.getAll().onsuccess = (e) => (record.values = e.target.result);
            return record;
          });
          tx.oncomplete = () => {
            db.close();
            resolve({ version: db.version, stores });
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

/** Writes `records` (from `deviceRecords`) as this origin's database, before the app opens it. */
export async function restoreDevice(page, records) {
  await page.goto("/healthz");
  await page.evaluate(
    ({ version, stores }) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("amplify", version);
        open.onerror = () => reject(open.error);
        open.onupgradeneeded = () => {
          for (const s of stores) {
            const store = open.result.createObjectStore(s.name, { keyPath: s.keyPath, autoIncrement: s.autoIncrement });
            for (const i of s.indexes) store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry });
          }
        };
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(stores.map((s) => s.name), "readwrite");
          for (const s of stores) {
            const store = tx.objectStore(s.name);
            s.values.forEach((value, i) => (s.keyPath === null ? store.put(value, s.keys[i]) : store.put(value)));
          }
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    records,
  );
}

/** How many records this device keeps in its IndexedDB store `store` (`changes`, `outbox`...). */
export async function storedCount(page, store) {
  return page.evaluate(
    (store) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("amplify");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction(store).objectStore(store).count();
          count.onsuccess = () => {
            open.result.close();
            resolve(count.result);
          };
        };
      }),
    store,
  );
}
