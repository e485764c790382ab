// A person who set their browser's text to 200% gets everything at 200%: body text, buttons,
// fields and the tab bar, with nothing overlapping on a 390 px phone (WCAG 1.4.4).
import { test, expect } from "@playwright/test";
import { join } from "node:path";
import { JournalPage } from "../support/journal.js";
import { ARTIFACTS } from "../support/env.js";
import { joinCohort, pairCoaching, startCohort } from "../support/programme.js";

test("at 200% text size everything scales and the tab labels do not run together", async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  // Chromium's own text size setting (Settings > Appearance > Font size), doubled.
  await cdp.send("Page.enable");
  await cdp.send("Page.setFontSizes", { fontSizes: { standard: 32, fixed: 26 } });
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("Big letters, same words.");

  const size = (locator) => locator.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  expect(await size(page.locator("body"))).toBe(32);
  expect(await size(page.getByRole("button", { name: "New entry" }))).toBe(32);
  expect(await size(journal.search)).toBe(32);

  // Each tab's label stays inside its own tab.
  const tabs = page.getByRole("navigation", { name: "Main" }).getByRole("link");
  expect(await tabs.count()).toBeGreaterThan(2);
  const spills = await tabs.evaluateAll((links) =>
    links
      .map((link) => {
        const range = document.createRange();
        range.selectNodeContents(link);
        const text = range.getBoundingClientRect();
        const box = link.getBoundingClientRect();
        return { label: link.textContent, out: text.left < box.left - 1 || text.right > box.right + 1 };
      })
      .filter((t) => t.out)
      .map((t) => t.label),
  );
  expect(spills).toEqual([]);
  // Nothing runs off the side of the phone.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: join(ARTIFACTS, "journal-200-percent-text-390x844.png") });
});

test("at 200% text size the profile (with the book's choice) and the book fit a 390 px phone", async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Page.enable");
  await cdp.send("Page.setFontSizes", { fontSizes: { standard: 32, fixed: 26 } });
  const journal = new JournalPage(page);
  await journal.open();
  for (const [path, ready] of [
    ["/profile", () => page.getByLabel("Include me in the Little Black Book")],
    ["/book", () => page.getByRole("heading", { name: "The Little Black Book of Talent" })],
  ]) {
    await page.goto(path);
    await expect(ready()).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${path} fits`).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(ARTIFACTS, `${path.slice(1)}-200-percent-text-390x844.png`) });
  }
});

test("at 200% text size the coach's list, a coachee's page and the canvas board fit a 390 px phone", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL);
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya");
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  try {
    await pairCoaching(ines, maya);
    await maya.createGroup("Nordics Rising", "Maya");
    await maya.page.goto("/experiment");
    await maya.page.waitForURL(/\/canvas\//);
    await maya.page.getByRole("textbox", { name: "What problem am I personally motivated to solve?" }).fill("Older fans never try streaming.");
    // Chromium's text size, doubled (set again on each check: a CDP override can lapse when
    // the page's frame changes, which the person's own setting never does).
    const bigText = async (page) => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Page.enable");
      await cdp.send("Page.setFontSizes", { fontSizes: { standard: 32, fixed: 26 } });
    };
    const fits = async (page, what) => {
      await bigText(page);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${what} fits`).toBeLessThanOrEqual(390);
      expect(await page.locator("body").evaluate((e) => parseFloat(getComputedStyle(e).fontSize)), `${what} at 200%`).toBe(32);
      await page.screenshot({ path: join(ARTIFACTS, `${what}-200-percent-text-390x844.png`) });
    };

    await ines.page.goto("/coachees");
    await expect(ines.page.getByTestId("coachees").getByRole("link", { name: /Maya/ })).toBeVisible();
    await fits(ines.page, "coachees");
    await ines.page.getByTestId("coachees").getByRole("link", { name: /Maya/ }).click();
    await expect(ines.page.getByRole("heading", { level: 1 })).toContainText("Maya");
    await fits(ines.page, "coachee");

    await maya.page.getByRole("button", { name: "Board" }).click();
    await expect(maya.page.getByTestId("board")).toContainText("Older fans never try streaming.");
    await fits(maya.page, "canvas-board");
    await maya.page.getByRole("button", { name: "One box at a time" }).click();
    await expect(maya.page.getByRole("button", { name: "Next →" })).toBeVisible();
    await fits(maya.page, "canvas-box");
  } finally {
    await Promise.all([team.close(), maya.close(), ines.close()]);
  }
});
