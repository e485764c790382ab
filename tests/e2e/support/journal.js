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
