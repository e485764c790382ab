// The experiment canvas, co-edited by a home group: concurrent offline edits merge, comments
// resolve, presence shows who is there, changes since the last look are marked, and another
// group cannot open it.
import { test, expect } from "@playwright/test";
import { join } from "node:path";
import { ARTIFACTS } from "../support/env.js";
import { Person } from "../support/people.js";

const believe = (person) => person.page.getByRole("textbox", { name: "We believe that…" });

async function openBox(person, title) {
  for (let i = 0; i < 6; i++) {
    if ((await person.page.locator("#box-title").textContent()) === title) return;
    await person.page.getByRole("button", { name: "Next →" }).click();
  }
  throw new Error(`no box ${title}`);
}

test("two members edit one canvas offline; reconnected, both see both edits", async ({ browser, baseURL }) => {
  const maya = await Person.open(browser, baseURL);
  const sam = await Person.open(browser, baseURL);
  const aiko = await Person.open(browser, baseURL);
  try {
    await maya.createGroup("Nordics Rising", "Maya");
    const link = await maya.inviteLink();
    await sam.joinGroup(link, "Sam");
    await maya.page.goto("/experiment");
    await maya.page.waitForURL(/\/canvas\/[0-9a-f]{64}\/[0-9a-f]{64}$/);
    const canvasUrl = maya.page.url();
    await openBox(maya, "Test card");
    await believe(maya).fill("fans will pay");
    await maya.synced();

    await sam.page.goto(canvasUrl.replace(/^https?:\/\/[^/]+/, ""));
    await expect(sam.page.getByRole("heading", { level: 1 })).toHaveText("Maya's experiment");
    await expect(maya.page.getByTestId("presence")).toHaveText("Also here now: Sam", { timeout: 20_000 });
    await expect(sam.page.getByTestId("presence")).toHaveText("Also here now: Maya", { timeout: 20_000 });
    await openBox(sam, "Test card");
    await expect(believe(sam)).toHaveValue("fans will pay");

    await maya.offline(true);
    await sam.offline(true);
    await believe(maya).fill("fans will pay for early access");
    await believe(sam).fill("young fans will pay");
    await maya.journal.saved();
    await sam.journal.saved();
    await maya.offline(false);
    await sam.offline(false);
    await expect(believe(maya)).toHaveValue("young fans will pay for early access", { timeout: 20_000 });
    await expect(believe(sam)).toHaveValue("young fans will pay for early access", { timeout: 20_000 });

    // A comment from Sam, resolved by Maya.
    const comments = (p) => p.page.locator(".field", { has: p.page.getByRole("textbox", { name: "We believe that…" }) }).locator("details.comments");
    await comments(sam).locator("summary").click();
    await sam.page.getByLabel("Comment on “We believe that…”").fill("Which markets first?");
    await sam.page.getByLabel("Comment on “We believe that…”").press("Enter");
    await expect(comments(maya).locator("summary")).toHaveText("1 comment", { timeout: 20_000 });
    await comments(maya).locator("summary").click();
    await expect(comments(maya)).toContainText("Sam: Which markets first?");
    await comments(maya).getByRole("button", { name: "Resolve" }).click();
    await expect(comments(sam)).toContainText("Resolved by Maya", { timeout: 20_000 });

    // Maya steps away; Sam changes the measure; back, Maya sees what changed.
    await maya.page.goto("/journal");
    await sam.page.getByRole("textbox", { name: "And measure…" }).fill("sign-ups in a week");
    await sam.synced();
    await maya.page.goto(canvasUrl.replace(/^https?:\/\/[^/]+/, ""));
    await expect(maya.page.getByTestId("changed-since")).toHaveText(/Changed since you last looked: .*And measure/);
    await maya.page.getByRole("button", { name: "Outline" }).click();
    await expect(maya.page.getByTestId("outline")).toContainText("And measure… (changed) sign-ups in a week");

    // Someone from another group cannot open it: they hold no key to it.
    await aiko.createGroup("APAC Explorers", "Aiko");
    await aiko.page.goto(canvasUrl.replace(/^https?:\/\/[^/]+/, ""));
    await expect(aiko.page.getByRole("alert")).toHaveText(/belongs to a home group you are not in/);
  } finally {
    await Promise.all([maya.close(), sam.close(), aiko.close()]);
  }
});

test("the canvas as a board: each box says who wrote it last, its open comments and who is in it now", async ({ browser, baseURL }) => {
  const maya = await Person.open(browser, baseURL);
  const sam = await Person.open(browser, baseURL);
  try {
    await maya.createGroup("Nordics Rising", "Maya");
    await sam.joinGroup(await maya.inviteLink(), "Sam");
    await maya.page.goto("/experiment");
    await maya.page.waitForURL(/\/canvas\/[0-9a-f]{64}\/[0-9a-f]{64}$/);
    const canvasPath = new URL(maya.page.url()).pathname;
    await maya.page.getByRole("textbox", { name: "What problem am I personally motivated to solve?" }).fill("Older fans never try streaming.");
    await expect(maya.page.getByTestId("written-problem")).toHaveText(/^Last written by Maya · /);
    await maya.synced();

    // Sam's board: what the problem box says and who wrote it.
    await sam.page.goto(canvasPath);
    await sam.page.getByRole("button", { name: "Board" }).click();
    const card = (person, title) =>
      person.page.getByTestId("board").getByRole("listitem").filter({ has: person.page.getByRole("heading", { name: title, exact: true }) });
    await expect(card(sam, "The problem")).toContainText("Older fans never try streaming.");
    await expect(card(sam, "The problem")).toContainText(/Last written by Maya · /);
    await expect(card(sam, "Test card")).toContainText("Not written yet");
    await expect(sam.page.getByTestId("board").getByRole("listitem")).toHaveCount(6);
    expect(await sam.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await sam.page.screenshot({ path: join(ARTIFACTS, "canvas-board-390x844.png"), fullPage: true });

    // Sam opens the test card from the board and starts writing: Maya sees where Sam is.
    await card(sam, "Test card").getByRole("button", { name: "Open test card" }).click();
    await believe(sam).focus();
    await maya.page.getByRole("button", { name: "Board" }).click();
    await expect(card(maya, "Test card")).toContainText("Sam is editing", { timeout: 20_000 });
    await expect(card(maya, "The problem")).not.toContainText("is editing");
    await card(maya, "Test card").getByRole("button", { name: "Open test card" }).click();
    await expect(maya.page.getByTestId("editing-we_believe")).toHaveText("Sam is editing", { timeout: 20_000 });
    await believe(sam).fill("fans will pay for early access");
    await expect(maya.page.getByTestId("written-we_believe")).toHaveText(/^Last written by Sam · /, { timeout: 20_000 });
    await expect(believe(maya)).toHaveValue("fans will pay for early access");
    // Sam moves on: Maya no longer sees Sam in that field.
    await sam.page.getByRole("button", { name: "Board" }).click();
    await expect(maya.page.getByTestId("editing-we_believe")).toHaveText("", { timeout: 20_000 });

    // An open comment shows on the board until it is resolved.
    await maya.page.getByRole("button", { name: "One box at a time" }).click();
    const comments = maya.page.locator(".field", { has: believe(maya) }).locator("details.comments");
    await comments.locator("summary").click();
    await maya.page.getByLabel("Comment on “We believe that…”").fill("Which markets first?");
    await maya.page.getByLabel("Comment on “We believe that…”").press("Enter");
    await expect(card(sam, "Test card")).toContainText("1 open comment", { timeout: 20_000 });
    await comments.getByRole("button", { name: "Resolve" }).click();
    await expect(card(sam, "Test card")).toContainText("No open comments", { timeout: 20_000 });

    // On a wide screen the board has three columns.
    await sam.page.setViewportSize({ width: 1280, height: 900 });
    const columns = await sam.page.getByTestId("board").evaluate((b) => getComputedStyle(b).gridTemplateColumns.split(" ").length);
    expect(columns).toBe(3);
    await sam.page.screenshot({ path: join(ARTIFACTS, "canvas-board-1280x900.png"), fullPage: true });
  } finally {
    await Promise.all([maya.close(), sam.close()]);
  }
});
