// What each role may open. An executive viewer reads the showcase and the Little Black Book and
// nothing else: no journal, no coaching document, not even by typing the address. A participant
// cannot open another home group's canvas, and its text never reaches their device.
import { test, expect } from "@playwright/test";
import { everythingStored, joinCohort, pairCoaching, startCohort } from "../support/programme.js";

const notAvailable = async (person, path) => {
  await person.page.goto(path);
  await expect(person.page.getByRole("heading", { level: 1 }), path).toHaveText("Not available");
  await expect(person.page.getByRole("alert")).toContainText("not available in your role");
};

test("an executive viewer cannot open a journal or coaching; a participant cannot open another group's canvas", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL, "Amplify 2026");
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const sam = await joinCohort(browser, baseURL, await invite("participant"), "Sam");
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  const eve = await joinCohort(browser, baseURL, await invite("executive viewer"), "Eve");
  try {
    // Maya has a journal, a coaching document and a canvas, all with words worth keeping.
    await maya.journal.open();
    await maya.journal.writeEntry("Private-journal-7d1 stays mine");
    await pairCoaching(ines, maya);
    await maya.page.getByLabel("New goal").fill("Coaching-goal-3f9 speak last in meetings");
    await maya.page.getByRole("button", { name: "Add goal" }).click();
    await expect(maya.page.getByText("Coaching-goal-3f9 speak last in meetings")).toBeVisible();
    await maya.createGroup("Nordics Rising", "Maya");
    await maya.page.goto("/experiment");
    await maya.page.waitForURL(/\/canvas\/[0-9a-f]{64}\/[0-9a-f]{64}$/);
    const canvas = new URL(maya.page.url()).pathname;
    await maya.page.getByRole("textbox", { name: "What problem am I personally motivated to solve?" }).fill("Canvas-problem-5b2 older fans");
    await maya.synced();

    // The executive's navigation offers only what the role may see…
    await eve.page.goto("/");
    const tabs = eve.page.getByRole("navigation", { name: "Main" }).getByRole("link");
    await expect(tabs).toHaveText(["Showcase", "Black Book", "More"]);
    await eve.page.goto("/more");
    await expect(eve.page.locator(".link-list a")).toHaveText(["Showcase", "Little Black Book", "Your profile", "Settings, devices and export"]);
    // …and typing an address does not get further.
    for (const path of ["/journal", "/entry/anything", "/coaching", "/coachees", "/experiment", canvas, "/group", "/cohort"]) {
      await notAvailable(eve, path);
    }
    // Nothing of Maya's journal, coaching or canvas is on the executive's device, in any form.
    await eve.page.goto("/showcase");
    await expect(eve.page.getByRole("heading", { level: 1 })).toHaveText("Showcase");
    const evesData = await everythingStored(eve.page);
    for (const secret of ["Private-journal-7d1", "Coaching-goal-3f9", "Canvas-problem-5b2"]) {
      expect(evesData, secret).not.toContain(secret);
    }

    // A participant does not get the coach's pages.
    await notAvailable(maya, "/coachees");

    // Sam, in another home group of the same cohort, cannot open Maya's canvas.
    await sam.createGroup("APAC Explorers", "Sam");
    await sam.page.goto(canvas);
    await expect(sam.page.getByRole("alert")).toHaveText(/belongs to a home group you are not in/);
    await expect(sam.page.getByText("Canvas-problem-5b2")).toHaveCount(0);
    await sam.synced();
    expect(await everythingStored(sam.page)).not.toContain("Canvas-problem-5b2");

    // The coach sees the coaching document but not Maya's journal.
    await notAvailable(ines, "/journal");
  } finally {
    await Promise.all([team.close(), maya.close(), sam.close(), ines.close(), eve.close()]);
  }
});
