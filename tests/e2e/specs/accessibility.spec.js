// Mobile-first and accessible: labels, target sizes, keyboard use, announced status; plus the
// screenshots and the manifest that make the app installable.
import { test, expect } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS } from "../support/env.js";
import { JournalPage } from "../support/journal.js";
import { joinCohort, pairCoaching, startCohort } from "../support/programme.js";

const PAGES = ["/", "/group", "/join", "/profile", "/settings"];

async function unlabelledFields(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label"))
      .map((el) => el.outerHTML),
  );
}

async function smallTargets(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("a, button, input, select, textarea, label[for]")]
      .filter((el) => el.offsetParent !== null && !el.classList.contains("skip-link"))
      // A label only screen readers see is no target.
      .filter((el) => !el.classList.contains("visually-hidden"))
      .filter((el) => !(el.type === "radio" && getComputedStyle(el).opacity === "0"))
      .map((el) => ({ el: el.outerHTML.slice(0, 80), box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width < 24 || box.height < 24)
      .map(({ el, box }) => `${el} is ${box.width}x${box.height}`),
  );
}

test("every field has a label and every target is at least 24 px, on every page", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.newEntry();
  await journal.write("Checking the editor too.");
  await journal.addTag("a11y");
  expect(await unlabelledFields(page), "the entry editor").toEqual([]);
  expect(await smallTargets(page), "the entry editor").toEqual([]);
  for (const path of PAGES) {
    await page.goto(path);
    await expect(page.locator("main")).not.toContainText("Opening your");
    expect(await unlabelledFields(page), path).toEqual([]);
    expect(await smallTargets(page), path).toEqual([]);
  }
});

/** Labels, target sizes, no sideways scrolling, and a 390x844 screenshot, on `path`. */
async function checkPage(person, path, shot) {
  const page = person.page;
  await page.goto(path);
  await expect(page.locator("main")).not.toContainText(/^Opening/);
  await expect(page.getByRole("heading", { level: 1 })).not.toHaveText("Not available");
  expect(await unlabelledFields(page), path).toEqual([]);
  expect(await smallTargets(page), path).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `${path} fits 390 px`).toBeLessThanOrEqual(390);
  if (shot) await page.screenshot({ path: join(ARTIFACTS, `${shot}-390x844.png`), fullPage: true });
}

test("the programme's pages, for every role: labels, 24 px targets, nothing overflowing", async ({ browser, baseURL }) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { team, invite } = await startCohort(browser, baseURL, "Amplify 2026");
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya", { region: "Nordics" });
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  const eve = await joinCohort(browser, baseURL, await invite("executive viewer"), "Eve");
  try {
    await pairCoaching(ines, maya);
    await maya.page.getByLabel("New goal").fill("Speak last in meetings");
    await maya.page.getByRole("button", { name: "Add goal" }).click();
    await maya.createGroup("Nordics Rising", "Maya");
    await maya.page.goto("/experiment");
    await maya.page.waitForURL(/\/canvas\//);
    const canvas = new URL(maya.page.url()).pathname;
    await maya.page.getByRole("textbox", { name: "What problem am I personally motivated to solve?" }).fill("Older fans never try streaming.");
    await maya.synced();

    await checkPage(maya, "/", "home-participant");
    await checkPage(maya, canvas, "canvas");
    await maya.page.getByRole("button", { name: "Outline" }).click();
    expect(await smallTargets(maya.page), "canvas outline").toEqual([]);
    await checkPage(maya, "/coaching", "coaching");
    for (const path of ["/cohort", "/showcase", "/more", "/group"]) await checkPage(maya, path);
    await checkPage(ines, "/", "coach-dashboard");
    await ines.page.getByRole("link", { name: /Maya/ }).first().click();
    await expect(ines.page.getByText("Speak last in meetings")).toBeVisible({ timeout: 20_000 });
    expect(await unlabelledFields(ines.page), "coachee page").toEqual([]);
    expect(await smallTargets(ines.page), "coachee page").toEqual([]);
    await checkPage(team, "/cohort", "cohort");
    await checkPage(eve, "/", "showcase");
    await checkPage(eve, "/book");
  } finally {
    await Promise.all([team.close(), maya.close(), ines.close(), eve.close()]);
  }
});

test("an entry can be written with the keyboard alone", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement?.textContent)) === "New entry") break;
  }
  await page.keyboard.press("Enter");
  await expect(journal.body).toBeFocused();
  await page.keyboard.type("Typed without a mouse.");
  await page.keyboard.press("Tab"); // to the first energy choice
  await page.keyboard.press("Tab"); // to the tag field
  await expect(page.getByLabel("Add a tag")).toBeFocused();
  await page.keyboard.type("keyboard");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("list", { name: "Tags" })).toContainText("#keyboard");
  await journal.saved();
  await expect(page.getByRole("status").filter({ hasText: "Saved on this device" })).toHaveCount(1);
});

test("phone screenshots at 390x844", async ({ page }) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("Forest day. I was the one who kept the group going when it rained.", {
    tags: ["immersion", "energy"],
    energy: "Good",
  });
  await journal.writeEntry("Who am I as a leader? Someone who asks the second question.", { tags: ["identity"] });
  await page.screenshot({ path: join(ARTIFACTS, "journal-390x844.png") });
  await journal.entries.getByRole("link").first().click();
  await page.screenshot({ path: join(ARTIFACTS, "entry-390x844.png") });
  await page.goto("/settings");
  await expect(page.getByTestId("storage-usage")).toBeVisible();
  await page.screenshot({ path: join(ARTIFACTS, "settings-390x844.png") });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, "nothing overflows sideways").toBeLessThanOrEqual(390);
});

test("the manifest makes the app installable", async ({ page, request }) => {
  const manifest = await (await request.get("/manifest.webmanifest")).json();
  expect(manifest).toMatchObject({
    id: "/",
    name: expect.any(String),
    short_name: "Amplify",
    start_url: "/",
    scope: "/",
    display: "standalone",
    theme_color: expect.stringMatching(/^#/),
    background_color: expect.stringMatching(/^#/),
  });
  await page.goto("/");
  for (const icon of manifest.icons) {
    const [w, h] = icon.sizes.split("x").map(Number);
    const size = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    }, icon.src);
    expect(size, icon.src).toEqual([w, h]);
  }
  const purposes = manifest.icons.map((i) => i.purpose);
  expect(purposes).toContain("maskable");
  expect(manifest.icons.filter((i) => i.purpose === "any").map((i) => i.sizes).sort()).toEqual(["192x192", "512x512"]);
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute("href", "/manifest.webmanifest");
});

test("settings shows how much is stored and whether it is protected", async ({ page }) => {
  await page.goto("/settings");
  await expect(page.getByTestId("storage-usage")).toContainText(/Amplify uses .* of the .* this browser allows it/);
  await expect(page.getByTestId("storage-persisted")).toContainText(/Protected|Not protected yet/);
});

for (const width of [360, 390, 430]) {
  test(`the tab bar's labels fit a ${width} px phone, each on one line`, async ({ page }) => {
    await page.setViewportSize({ width, height: 740 });
    const journal = new JournalPage(page);
    await journal.open();
    const tabs = page.getByRole("navigation", { name: "Main" }).getByRole("link");
    await expect(tabs).toHaveText(["Home", "Journal", "Experiment", "Group", "More"]);
    const clipped = await tabs.evaluateAll((links) =>
      links
        .filter((a) => {
          const range = document.createRange();
          range.selectNodeContents(a);
          return a.scrollWidth > a.clientWidth || range.getClientRects().length > 1;
        })
        .map((a) => `${a.textContent}: ${a.scrollWidth} > ${a.clientWidth} or wrapped`),
    );
    expect(clipped).toEqual([]);
  });
}
