// Several people (or several devices of one person), each in a browser context of their own.
import { expect } from "@playwright/test";
import { JournalPage } from "./journal.js";

export class Person {
  /** @param {import('@playwright/test').Page} page */
  constructor(page) {
    this.page = page;
    this.context = page.context();
    this.journal = new JournalPage(page);
    this.badge = page.getByTestId("sync-status");
    this.notes = page.getByLabel("Shared notes");
  }

  static async open(browser, baseURL, path = "/journal") {
    const context = await browser.newContext({ baseURL, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(path);
    return new Person(page);
  }

  /** Everything is saved here and acknowledged by the relay. */
  async synced() {
    await this.journal.saved();
    await expect(this.badge).toHaveText("Synced", { timeout: 20_000 });
  }

  async createGroup(name, me) {
    await this.page.goto("/group");
    await this.page.getByLabel("Group name").fill(name);
    await this.page.getByLabel("Your name, as the group will see it").fill(me);
    await this.page.getByRole("button", { name: "Create the group" }).click();
    await this.page.waitForURL(/\/group\/[0-9a-f]{64}$/);
  }

  /** A link to the home group whose page is open (valid a week, for six people). */
  async inviteLink() {
    const field = this.page.getByTestId("invite-link");
    const before = (await field.count()) > 0 ? await field.inputValue() : "";
    await this.page.getByRole("button", { name: "Make an invite link" }).click();
    await expect(field).not.toHaveValue(before);
    return field.inputValue();
  }

  async joinGroup(link, me) {
    await this.page.goto(link);
    await this.page.getByLabel("Your name, as the group will see it").fill(me);
    await this.page.getByRole("button", { name: "Join the group" }).click();
    await this.page.waitForURL(/\/group\/[0-9a-f]{64}$/);
  }

  async deviceLink() {
    await this.page.goto("/settings");
    await this.page.getByRole("button", { name: "Link another device" }).click();
    return this.page.getByTestId("invite-link").inputValue();
  }

  /** This device opens `other`'s device link and links itself to that person's journal. */
  async linkTo(other) {
    await this.journal.ready();
    await this.page.goto(await other.deviceLink());
    await this.page.getByRole("button", { name: "Link this device" }).click();
    await this.journal.ready();
  }

  async offline(yes) {
    await this.context.setOffline(yes);
  }

  async close() {
    await this.context.close();
  }
}
