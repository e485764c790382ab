// Removing people: a participant removed from the cohort and her home group, a member who was
// offline through a removal, a lost phone, a coach replaced, one executive's access ended,
// invites that expire, run out and are revoked, who may change the cohort, leaving and erasing.
import { test, expect } from "@playwright/test";
import { Person } from "../support/people.js";
import { joinCohort, pairCoaching, startCohort } from "../support/programme.js";

const SLOW = { timeout: 30_000 };

/** Opens the people list of the page and removes `name` (asking, then confirming). */
async function remove(person, name) {
  await person.page.getByRole("button", { name: `Remove ${name}`, exact: true }).click();
  await person.page.getByRole("button", { name: `Yes, remove ${name}` }).click();
}

test("the programme team removes a participant: she reads nothing new in the cohort or her home group, and what she wrote stays", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL, "Amplify 2026");
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const sam = await joinCohort(browser, baseURL, await invite("participant"), "Sam");
  try {
    await maya.createGroup("Nordics Rising", "Maya");
    const group = new URL(maya.page.url()).pathname;
    await maya.notes.fill("Maya: pitch on Monday");
    await maya.synced();
    await sam.joinGroup(await maya.inviteLink(), "Sam");
    await expect(sam.notes).toHaveValue("Maya: pitch on Monday", SLOW);
    await sam.synced();

    await team.page.goto("/cohort");
    await expect(team.page.getByTestId("member-list")).toContainText("Maya", SLOW);
    await remove(team, "Maya");
    await expect(team.page.getByText("Maya was removed")).toBeVisible();
    await expect(team.page.getByTestId("member-list")).not.toContainText("Maya");

    // Her devices are told, and her home group follows: Sam's device takes her out of it.
    await maya.page.goto("/cohort");
    await expect(maya.page.getByTestId("removed-notice")).toBeVisible(SLOW);
    await sam.page.goto(group);
    await expect(sam.page.getByTestId("members")).toHaveText("Sam", SLOW);
    await expect(sam.page.getByRole("link", { name: "Maya's experiment" })).toBeVisible();
    await sam.notes.fill("Maya: pitch on Monday\nSam: written after Maya left");
    await sam.synced();

    await maya.page.goto(group);
    await expect(maya.page.getByTestId("removed-notice")).toBeVisible(SLOW);
    await maya.synced();
    await expect(maya.notes).toHaveValue("Maya: pitch on Monday");
    // What she wrote stays, on her device and in the group.
    await expect(sam.notes).toHaveValue("Maya: pitch on Monday\nSam: written after Maya left");
  } finally {
    await Promise.all([team.close(), maya.close(), sam.close()]);
  }
});

test("a member offline through a removal comes back: her edits are sealed again under the new key and everyone converges", async ({ browser, baseURL }) => {
  const people = await Promise.all([0, 1, 2].map(() => Person.open(browser, baseURL)));
  const [maya, sam, aiko] = people;
  try {
    await maya.createGroup("APAC Explorers", "Maya");
    const group = new URL(maya.page.url()).pathname;
    const link = await maya.inviteLink();
    await sam.joinGroup(link, "Sam");
    await aiko.joinGroup(link, "Aiko");
    await aiko.synced();

    await aiko.offline(true);
    await aiko.notes.fill("Aiko, written on the plane");
    await aiko.journal.saved();

    await maya.page.goto(group);
    await expect(maya.page.getByTestId("member-list")).toContainText("Sam", SLOW);
    await remove(maya, "Sam");
    await expect(maya.page.getByText("Sam was removed")).toBeVisible();
    await maya.synced();

    await aiko.offline(false);
    await expect(maya.notes).toHaveValue("Aiko, written on the plane", SLOW);
    await aiko.synced();
    await maya.notes.fill("Aiko, written on the plane\nMaya, after");
    await expect(aiko.notes).toHaveValue("Aiko, written on the plane\nMaya, after", SLOW);
    // Sam reads none of it.
    await sam.page.goto(group);
    await expect(sam.page.getByTestId("removed-notice")).toBeVisible(SLOW);
    await expect(sam.notes).not.toHaveValue(/Aiko, written on the plane/);
  } finally {
    await Promise.all(people.map((p) => p.close()));
  }
});

test("Maya loses her phone: from her laptop she removes it; it gets nothing new, and her journal keeps syncing between her other devices", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const devices = await Promise.all([0, 1, 2].map(() => Person.open(browser, baseURL)));
  const [phone, laptop, tablet] = devices;
  try {
    await phone.journal.ready();
    await phone.journal.writeEntry("Written on the phone.");
    await phone.synced();
    for (const other of [laptop, tablet]) {
      await other.linkTo(phone);
      await other.journal.expectTitles(["Written on the phone."]);
    }
    // The most devices the laptop's list ever shows, from the first frame of each load: the
    // recovery key is a member of her space too, and must never be listed as a device to remove
    // (a click on it would remove the key her recovery code stands for).
    await laptop.page.addInitScript(() => {
      window.amplifyMostDevices = 0;
      new MutationObserver(() => {
        const shown = document.querySelectorAll("[data-testid=devices] li").length;
        window.amplifyMostDevices = Math.max(window.amplifyMostDevices, shown);
      }).observe(document, { childList: true, subtree: true });
    });
    await laptop.page.goto("/settings");
    const devicesList = laptop.page.getByTestId("devices");
    await expect(devicesList.getByRole("listitem")).toHaveCount(3, SLOW);
    expect(await laptop.page.evaluate(() => window.amplifyMostDevices), "devices listed while loading").toBe(3);
    const code = async (person) => {
      await person.page.goto("/settings");
      await person.page.getByRole("button", { name: "Show recovery code" }).click();
      return (await person.page.getByTestId("recovery-code").textContent()).trim();
    };
    const oldCode = await code(laptop);
    // The phone is the first device linked after this one; remove it.
    await laptop.page.goto("/settings");
    const phoneRow = laptop.page.getByTestId("devices").getByRole("listitem").filter({ hasText: "Another device" }).first();
    await phoneRow.getByRole("button", { name: "Remove this device" }).click();
    await laptop.page.getByRole("button", { name: "Remove the device" }).click();
    await expect(laptop.page.getByText("The device was removed")).toBeVisible();
    await expect(laptop.page.getByTestId("devices").getByRole("listitem")).toHaveCount(2);
    expect(await code(laptop), "the lost device knew the old recovery code").not.toBe(oldCode);

    // Whichever device was removed is told and gets nothing new.
    const removed = [phone, tablet];
    await laptop.journal.open();
    await laptop.journal.writeEntry("Written on the laptop after the loss.");
    await laptop.synced();
    let kept = 0;
    for (const device of removed) {
      await device.journal.open();
      const titles = device.journal.entries;
      try {
        await expect(titles).toContainText("Written on the laptop after the loss.", { timeout: 15_000 });
        kept += 1;
      } catch {
        await expect(device.page.getByText("You were removed")).toHaveCount(0);
      }
    }
    expect(kept, "exactly the device that was not removed gets the laptop's entry").toBe(1);
  } finally {
    await Promise.all(devices.map((d) => d.close()));
  }
});

test("a coach is replaced: the new coach reads what Maya shares from then on, the old one nothing new", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL, "Amplify 2026");
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  const olu = await joinCohort(browser, baseURL, await invite("coach"), "Olu");
  try {
    await pairCoaching(ines, maya);
    await maya.page.getByLabel("New goal").fill("Speak last in meetings");
    await maya.page.getByRole("button", { name: "Add goal" }).click();
    await maya.synced();

    await maya.page.goto("/coaching");
    await remove(maya, "Inès");
    await expect(maya.page.getByText("Inès was removed")).toBeVisible();
    await pairCoaching(olu, maya);
    // Maya's coaching history stays hers.
    await maya.page.goto("/coaching");
    await expect(maya.page.getByText("Speak last in meetings")).toBeVisible();

    await maya.journal.open();
    await maya.journal.writeEntry("For my new coach: the offsite went well.");
    await maya.page.getByRole("link", { name: /For my new coach/ }).click();
    await maya.page.getByRole("button", { name: /Share with Olu/ }).click();
    await maya.synced();
    await olu.page.goto("/coachees");
    await olu.page.getByRole("link", { name: /Maya/ }).click();
    await expect(olu.page.locator("summary", { hasText: "For my new coach: the offsite went well." })).toBeVisible(SLOW);
    await ines.page.goto("/coachees");
    await expect(ines.page.getByText("For my new coach")).toHaveCount(0);
    await expect(ines.page.getByRole("link", { name: /Maya/ })).toHaveCount(0, SLOW);
  } finally {
    await Promise.all([team.close(), maya.close(), ines.close(), olu.close()]);
  }
});

test("one executive's access ends without touching the other's", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL, "Amplify 2026");
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const eve = await joinCohort(browser, baseURL, await invite("executive viewer"), "Eve");
  const ed = await joinCohort(browser, baseURL, await invite("executive viewer"), "Ed");
  try {
    await team.page.goto("/cohort");
    await remove(team, "Eve");
    await expect(team.page.getByText("Eve was removed")).toBeVisible();
    await team.synced();

    await maya.page.goto("/profile");
    await maya.page.getByLabel("Statement").fill("Fans first, always.");
    await maya.page.getByLabel("Include me in the Little Black Book").check();
    await maya.synced();
    await ed.page.goto("/book");
    await expect(ed.page.getByText("Fans first, always.")).toBeVisible(SLOW);
    await eve.page.goto("/book");
    await eve.synced();
    await expect(eve.page.getByText("Fans first, always.")).toHaveCount(0);
  } finally {
    await Promise.all([team.close(), maya.close(), eve.close(), ed.close()]);
  }
});

test("an invite runs out, expires and can be revoked; the group page shows who joined with which", async ({ browser, baseURL }) => {
  const people = await Promise.all([0, 1, 2, 3].map(() => Person.open(browser, baseURL)));
  const [maya, sam, aiko, late] = people;
  try {
    await maya.createGroup("Nordics Rising", "Maya");
    const group = new URL(maya.page.url()).pathname;
    await maya.page.getByLabel("How many people can use it").fill("1");
    const once = await maya.inviteLink();
    await sam.joinGroup(once, "Sam");
    // Used up.
    await aiko.page.goto(once);
    await aiko.page.getByLabel("Your name, as the group will see it").fill("Aiko");
    await aiko.page.getByRole("button", { name: "Join the group" }).click();
    await expect(aiko.page.getByRole("alert")).toContainText("used as many times as it may");

    // Revoked.
    await maya.page.goto(group);
    const revoked = await maya.inviteLink();
    await maya.page.getByTestId("invites").getByRole("listitem").first().getByRole("button", { name: "Revoke" }).click();
    await expect(maya.page.getByTestId("invites")).toContainText("revoked");
    await maya.synced();
    await aiko.page.goto("/");
    await aiko.page.goto(revoked);
    await aiko.page.getByLabel("Your name, as the group will see it").fill("Aiko");
    await aiko.page.getByRole("button", { name: "Join the group" }).click();
    await expect(aiko.page.getByRole("alert")).toContainText("revoked");

    // Expired: opened eight days later.
    await maya.page.goto(group);
    const weekly = await maya.inviteLink();
    await late.page.clock.install({ time: Date.now() + 8 * 86_400_000 });
    await late.page.goto(weekly);
    await late.page.getByLabel("Your name, as the group will see it").fill("Late");
    await late.page.getByRole("button", { name: "Join the group" }).click();
    await expect(late.page.getByRole("alert")).toContainText("expired");

    // Who joined with which.
    await maya.page.goto(group);
    await expect(maya.page.getByTestId("invites")).toContainText("joined: Sam", SLOW);
    await expect(maya.page.getByTestId("members")).toHaveText("MayaSam");
  } finally {
    await Promise.all(people.map((p) => p.close()));
  }
});

test("only the programme team changes the cohort: a participant sees no way to, and her card is hers alone", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL, "Amplify 2026");
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  try {
    await maya.page.goto("/cohort");
    await expect(maya.page.getByRole("heading", { level: 1, name: "Amplify 2026" })).toBeVisible();
    await expect(maya.page.getByRole("button", { name: /Invite a/ })).toHaveCount(0);
    await expect(maya.page.getByRole("button", { name: /Remove/ })).toHaveCount(0);
    await expect(maya.page.getByLabel("Part of the programme")).toHaveCount(0);
    // The team sees her as a participant: the role comes from the invite the team made.
    await team.page.goto("/cohort");
    await expect(team.page.getByTestId("people")).toContainText("Participant", SLOW);
  } finally {
    await Promise.all([team.close(), maya.close()]);
  }
});

test("leave and erase: Maya leaves her group, then erases her account after being offered an export", async ({ browser, baseURL }) => {
  const people = await Promise.all([0, 1].map(() => Person.open(browser, baseURL)));
  const [maya, sam] = people;
  try {
    await maya.createGroup("Nordics Rising", "Maya");
    const group = new URL(maya.page.url()).pathname;
    await sam.joinGroup(await maya.inviteLink(), "Sam");
    await maya.journal.open();
    await maya.journal.writeEntry("A private thought to erase.");
    await maya.synced();
    await maya.page.goto("/settings");
    await maya.page.getByRole("button", { name: "Show recovery code" }).click();
    const code = (await maya.page.getByTestId("recovery-code").textContent()).trim();

    await maya.page.goto(group);
    await maya.page.getByRole("button", { name: "Leave", exact: true }).click();
    await maya.page.getByRole("button", { name: "Yes, leave the group" }).click();
    await expect(maya.page.getByTestId("removed-notice")).toBeVisible(SLOW);
    await sam.page.goto(group);
    await expect(sam.page.getByTestId("members")).toHaveText("Sam", SLOW);

    await maya.page.goto("/settings");
    await maya.page.getByRole("button", { name: "Erase my account…" }).click();
    await expect(maya.page.getByRole("link", { name: "download your journal and experiment" })).toBeVisible();
    const erase = maya.page.getByRole("button", { name: "Erase everything" });
    await expect(erase).toBeDisabled();
    await maya.page.getByLabel("Type ERASE to confirm").fill("erase");
    await erase.click();
    await maya.page.waitForURL((url) => url.pathname === "/");
    await maya.journal.open();
    await expect(maya.journal.entries).not.toContainText("A private thought to erase.");

    // The relay holds nothing of hers any more: her recovery code restores nothing.
    const fresh = await Person.open(browser, baseURL, "/join");
    try {
      await fresh.page.getByRole("textbox", { name: "Recovery code" }).fill(code);
      await fresh.page.getByRole("button", { name: "Restore my journal" }).click();
      await fresh.journal.ready();
      await fresh.synced();
      await expect(fresh.journal.entries).not.toContainText("A private thought to erase.");
    } finally {
      await fresh.close();
    }
  } finally {
    await Promise.all(people.map((p) => p.close()));
  }
});
