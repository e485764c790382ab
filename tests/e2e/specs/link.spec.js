// One person, several devices: a device linked by link, or restored with the recovery code,
// gets the whole journal from the relay.
import { test, expect } from "@playwright/test";
import { Person } from "../support/people.js";
import { joinCohort, startCohort } from "../support/programme.js";

test("a linked laptop gets the journal written on the phone, and edits flow back", async ({ browser, baseURL }) => {
  const phone = await Person.open(browser, baseURL);
  const laptop = await Person.open(browser, baseURL);
  try {
    await phone.journal.ready();
    for (const text of ["Landed in Tokyo.", "Met the APAC team.", "What did I learn? To ask first."]) {
      await phone.journal.writeEntry(text);
    }
    await phone.synced();
    const link = await phone.deviceLink();
    expect(new URL(link).hash).toMatch(/^#v2\.d\./);

    await laptop.journal.ready();
    await laptop.journal.writeEntry("Written on the laptop before linking.");
    await laptop.page.goto(link);
    await expect(laptop.page.getByRole("heading", { level: 1 })).toHaveText("Link this device to your journal");
    await laptop.page.getByRole("button", { name: "Link this device" }).click();
    await laptop.journal.ready();
    await laptop.journal.expectTitles([
      "Written on the laptop before linking.",
      "What did I learn? To ask first.",
      "Met the APAC team.",
      "Landed in Tokyo.",
    ]);
    // What the laptop had before linking reaches the phone too: nothing is lost by linking.
    await phone.journal.open();
    await expect(phone.journal.entries).toContainText("Written on the laptop before linking.", { timeout: 20_000 });

    // Both show the person's one recovery code (never the one the laptop made for itself before
    // it was linked), and list the two devices, not the code's key.
    const shownCode = async (device) => {
      await device.page.goto("/settings");
      await device.page.getByRole("button", { name: "Show recovery code" }).click();
      // A device that has not learned the code yet says so instead.
      const shown = device.page.getByTestId("recovery-code").or(device.page.getByTestId("recovery-unknown"));
      return (await shown.textContent()).trim();
    };
    const phoneCode = await shownCode(phone);
    await expect.poll(() => shownCode(laptop), { timeout: 20_000 }).toBe(phoneCode);
    await expect(laptop.page.getByTestId("devices").getByRole("listitem")).toHaveCount(2);
    // Replaced on the laptop, the new code is the one the phone shows from then on.
    await laptop.page.getByRole("button", { name: "Replace the recovery code" }).click();
    await expect(laptop.page.getByTestId("recovery-code")).not.toHaveText(phoneCode);
    const newCode = (await laptop.page.getByTestId("recovery-code").textContent()).trim();
    await laptop.synced();
    await expect.poll(() => shownCode(phone), { timeout: 20_000 }).toBe(newCode);
    await expect(phone.page.getByTestId("devices").getByRole("listitem")).toHaveCount(2);
  } finally {
    await phone.close();
    await laptop.close();
  }
});

test("after losing her phone, Maya restores everything with her recovery code", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL, "Amplify 2026");
  const lost = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const fresh = await Person.open(browser, baseURL);
  try {
    await lost.journal.open();
    await lost.journal.writeEntry("Before the phone fell into the lake.");
    await lost.page.goto("/profile");
    await lost.page.getByLabel("Name").fill("Maya Lindqvist");
    await lost.journal.saved();
    await lost.createGroup("Nordics Rising", "Maya");
    await lost.page.goto("/experiment");
    await lost.page.waitForURL(/\/canvas\//);
    await lost.page.getByRole("textbox", { name: "What problem am I personally motivated to solve?" }).fill("Older fans never try streaming.");
    await lost.synced();
    await lost.page.goto("/settings");
    await lost.page.getByRole("button", { name: "Show recovery code" }).click();
    const code = (await lost.page.getByTestId("recovery-code").textContent()).trim();
    expect(code).toMatch(/^([0-9A-Z*~$=]{4}-){13}[0-9A-Z*~$=]$/);
    await lost.close();

    await fresh.page.goto("/join");
    await fresh.page.getByRole("textbox", { name: "Recovery code" }).fill(code.slice(0, 20));
    await expect(fresh.page.getByRole("alert").filter({ hasText: "recovery code has" })).toBeVisible();
    // Typed by hand: lower case, spaces instead of dashes.
    await fresh.page.getByRole("textbox", { name: "Recovery code" }).fill(code.toLowerCase().replaceAll("-", " "));
    await fresh.page.getByRole("button", { name: "Restore my journal" }).click();
    await fresh.journal.ready();
    await fresh.journal.expectTitles(["Before the phone fell into the lake."]);
    await fresh.page.goto("/profile");
    await expect(fresh.page.getByLabel("Name")).toHaveValue("Maya Lindqvist");
    // Not only the journal: her cohort, her home group and her experiment come back too.
    await fresh.page.goto("/group");
    await expect(fresh.page.getByRole("link", { name: "Nordics Rising" })).toBeVisible({ timeout: 20_000 });
    await fresh.page.goto("/experiment");
    await fresh.page.waitForURL(/\/canvas\//);
    await expect(fresh.page.getByRole("textbox", { name: "What problem am I personally motivated to solve?" })).toHaveValue("Older fans never try streaming.", { timeout: 20_000 });
    await fresh.page.goto("/cohort");
    await expect(fresh.page.getByRole("heading", { level: 1, name: "Amplify 2026" })).toBeVisible({ timeout: 20_000 });
  } finally {
    await Promise.all([team.close(), fresh.close()]);
  }
});
