// Coaching: Maya shares two of five entries and her coach sees exactly those two; the other
// three never reach the coach's device in any form. The coach records a session and two
// actions; Maya ticks one off on her phone and the coach sees it done.
import { test, expect } from "@playwright/test";
import { ARTIFACTS } from "../support/env.js";
import { everythingStored, joinCohort, pairCoaching, startCohort } from "../support/programme.js";

const ENTRIES = ["First, private", "Second, shared", "Third, private", "Fourth, shared", "Fifth, private"];

test("share two of five entries: the coach sees exactly two, the rest never reach them", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL);
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  try {
    await pairCoaching(ines, maya);
    for (const [i, text] of ENTRIES.entries()) {
      await maya.journal.open();
      await maya.journal.newEntry();
      await maya.journal.write(`${text}: reflection number ${i + 1}`);
      if (text.endsWith("shared")) {
        await maya.page.getByRole("button", { name: "Share with Inès" }).click();
        await expect(maya.page.getByText("Shared with Inès.")).toBeVisible();
      }
    }
    await maya.synced();

    await ines.page.goto("/");
    const card = ines.page.getByTestId("coachees").getByRole("link", { name: /Maya/ });
    await expect(card.getByTestId("unread")).toHaveText("2 new shared entries", { timeout: 20_000 });
    await card.click();
    const shared = ines.page.getByTestId("shared-with-coach").locator("li");
    await expect(shared).toHaveCount(2);
    await expect(shared.nth(0)).toContainText("shared");
    await expect(shared.nth(1)).toContainText("shared");
    await shared.first().locator("summary").click();
    await expect(shared.first()).toContainText("reflection number");

    const stored = await everythingStored(ines.page);
    expect(stored).toContain("Second, shared");
    for (const privateText of ["First, private", "Third, private", "Fifth, private"]) {
      expect(stored, `${privateText} reached the coach's device`).not.toContain(privateText);
    }

    // Maya adds to an entry she shared: the coach reads the new words, not the old.
    await maya.journal.open();
    await maya.journal.entries.getByRole("link", { name: /Second, shared/ }).click();
    await maya.journal.write("Second, shared: reflection number 2, and what I will try next");
    await maya.synced();
    await expect(ines.page.getByTestId("shared-with-coach")).toContainText("what I will try next", { timeout: 20_000 });

    // Maya stops sharing one: she is told plainly, and it leaves the coach's device.
    await maya.journal.open();
    await maya.journal.entries.getByRole("link", { name: /Fourth, shared/ }).click();
    await maya.page.getByRole("button", { name: "Stop sharing" }).click();
    await expect(maya.page.getByRole("alert")).toContainText("Inès may already have read this entry.");
    await maya.page.getByRole("button", { name: "Stop sharing" }).click();
    await expect(maya.page.getByRole("button", { name: "Share with Inès" })).toBeVisible();
    await maya.synced();
    await expect(shared).toHaveCount(1, { timeout: 20_000 });
    await expect.poll(async () => (await everythingStored(ines.page)).includes("Fourth, shared"), { timeout: 20_000 }).toBe(false);
  } finally {
    await Promise.all([team.close(), maya.close(), ines.close()]);
  }
});

test("the coach records a session and two actions; Maya ticks one off and the coach sees it done", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL);
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  try {
    await pairCoaching(ines, maya);
    await ines.page.goto("/");
    await ines.page.getByTestId("coachees").getByRole("link", { name: /Maya/ }).click();
    await ines.page.getByRole("button", { name: "Record a session" }).click();
    await ines.page.getByRole("textbox", { name: "Notes", exact: true }).fill("Talked about leading the pitch.");
    for (const action of ["Book the pitch room", "Ask Sam for feedback"]) {
      await ines.page.getByLabel("New action").fill(action);
      await ines.page.getByRole("button", { name: "Add action" }).click();
    }
    await ines.page.getByLabel("New goal").fill("Lead a meeting without notes");
    await ines.page.getByRole("button", { name: "Add goal" }).click();
    await ines.synced();

    await maya.page.goto("/");
    const due = maya.page.getByTestId("actions-due");
    await expect(due).toContainText("Book the pitch room", { timeout: 20_000 });
    await expect(due).toContainText("Ask Sam for feedback");
    await maya.page.getByLabel("Book the pitch room").check();
    await expect(due).not.toContainText("Book the pitch room");
    await maya.synced();

    await expect(ines.page.getByLabel("Book the pitch room")).toBeChecked({ timeout: 20_000 });
    await expect(ines.page.getByLabel("Ask Sam for feedback")).not.toBeChecked();
    await maya.page.goto("/coaching");
    await expect(maya.page.getByRole("textbox", { name: "Notes", exact: true })).toHaveValue("Talked about leading the pitch.");
    await expect(maya.page.getByText("Lead a meeting without notes")).toBeVisible();

    // Two weeks of silence later, the dashboard marks Maya as stalled.
    await ines.page.clock.setFixedTime(Date.now() + 15 * 86_400_000);
    await ines.page.goto("/");
    await expect(ines.page.getByTestId("coachees")).toContainText("Stalled: nothing for two weeks");
  } finally {
    await Promise.all([team.close(), maya.close(), ines.close()]);
  }
});

test("the cohort's People table names each participant's home group and coach, on every device", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL);
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  try {
    await maya.createGroup("Forest", "Maya");
    await maya.synced();
    // The coaching document reaches Maya's phone only after she has joined the pair: the
    // coach is named on her card once it arrives.
    await pairCoaching(ines, maya);
    await maya.synced();
    for (const viewer of [team, ines, maya]) {
      await viewer.page.goto("/cohort");
      const row = viewer.page.getByTestId("people").getByRole("row", { name: /Maya/ });
      await expect(row.getByRole("cell").nth(3), "home group").toHaveText("Forest", { timeout: 20_000 });
      await expect(row.getByRole("cell").nth(4), "coach").toHaveText("Inès", { timeout: 20_000 });
      await expect(viewer.page.getByTestId("people").getByRole("columnheader").nth(1)).toHaveText("Role");
    }
  } finally {
    await Promise.all([team.close(), maya.close(), ines.close()]);
  }
});

test("a coach with several coachees filters and orders them: new material, overdue actions, silence", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL);
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const sam = await joinCohort(browser, baseURL, await invite("participant"), "Sam");
  try {
    await pairCoaching(ines, maya);
    await pairCoaching(ines, sam);
    // Sam has an action that was due yesterday; Maya shares an entry.
    await ines.page.goto("/");
    await ines.page.getByTestId("coachees").getByRole("link", { name: /Sam/ }).click();
    await ines.page.getByLabel("New action").fill("Send the pitch deck");
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await ines.page.getByLabel("Due").fill(yesterday);
    await ines.page.getByRole("button", { name: "Add action" }).click();
    await ines.synced();
    await maya.journal.open();
    await maya.journal.newEntry();
    await maya.journal.write("What I learned from the pitch");
    await maya.page.getByRole("button", { name: "Share with Inès" }).click();
    await maya.synced();

    await ines.page.goto("/");
    const list = ines.page.getByTestId("coachees");
    const names = list.locator(".coachee-card .title");
    await expect(list.getByRole("link", { name: /Maya/ }).getByTestId("unread")).toHaveText("1 new shared entry", { timeout: 20_000 });
    await expect(list.getByRole("link", { name: /Sam/ })).toContainText("1 action overdue");
    // Needing attention first: new material to read, then overdue actions.
    await expect(names).toHaveText(["Maya", "Sam"]);
    await ines.page.getByLabel("Show").selectOption({ label: "Actions overdue" });
    await expect(names).toHaveText(["Sam"]);
    await expect(ines.page.getByRole("status").filter({ hasText: "coachees" })).toHaveText("1 of 2 coachees");
    await ines.page.getByLabel("Show").selectOption({ label: "New shared entries" });
    await expect(names).toHaveText(["Maya"]);
    await ines.page.getByLabel("Show").selectOption({ label: "Stalled (two weeks quiet)" });
    await expect(names).toHaveCount(0);
    await ines.page.getByLabel("Show").selectOption({ label: "Everyone" });
    await ines.page.getByLabel("Order").selectOption({ label: "By name" });
    await expect(names).toHaveText(["Maya", "Sam"]);
    await ines.page.setViewportSize({ width: 390, height: 844 });
    await ines.page.screenshot({ path: `${ARTIFACTS}/coachees-390.png`, fullPage: true });

    // A coachee's page is long on a phone: its sections are a tap away.
    await list.getByRole("link", { name: /Sam/ }).click();
    const notesHeading = ines.page.getByRole("heading", { name: "Your private notes" });
    await expect(notesHeading).not.toBeInViewport();
    await ines.page.getByRole("navigation", { name: "On this page" }).getByRole("button", { name: "Private notes" }).click();
    await expect(notesHeading).toBeInViewport();
  } finally {
    await Promise.all([team.close(), ines.close(), maya.close(), sam.close()]);
  }
});
