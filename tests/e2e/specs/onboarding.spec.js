// The first week's steps on Home, as a new participant meets them on a 390 px phone: their name,
// the recovery code kept (copied, downloaded, then checked from where they kept it), the app
// installed the way the platform does it, and the browser asked to keep the data; the same at
// 200% text size, on iOS, and put off with "Finish later".
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS } from "../support/env.js";

const card = (page) => page.getByTestId("getting-started");
const step = (page, title) => card(page).getByRole("listitem").filter({ has: page.getByRole("heading", { name: title }) });

/** Nothing runs off the side of the phone, and every target is at least 24 px. */
async function fitsThePhone(page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const small = await card(page).evaluate((root) =>
    [...root.querySelectorAll("button, input, label[for]")]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ el: el.outerHTML.slice(0, 60), box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width < 24 || box.height < 24)
      .map(({ el }) => el),
  );
  expect(small).toEqual([]);
}

/** Types groups asked for by the check, from `code`. */
async function answerCheck(page, code, { wrong = false } = {}) {
  const groups = code.split("-");
  for (const field of [page.locator("#start-group-a"), page.locator("#start-group-b")]) {
    const label = await page.locator(`label[for="${await field.getAttribute("id")}"]`).textContent();
    const n = Number(label.match(/Group (\d+)/)[1]);
    // Typed as a person would: lower case, with a space; a wrong answer swaps the characters.
    const group = groups[n - 1];
    await field.fill(wrong ? [...group].reverse().join("") + "X" : group.toLowerCase().replace(/^(..)/, "$1 "));
  }
  await page.getByRole("button", { name: "Check" }).click();
}

test("a new participant names themself, keeps and checks their recovery code, installs and protects their data", async ({
  browser,
  baseURL,
}) => {
  const context = await browser.newContext({ baseURL, viewport: { width: 390, height: 844 }, hasTouch: true, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  const page = await context.newPage();
  try {
    await page.goto("/");
    await expect(card(page).getByRole("heading", { name: "Getting started" })).toBeVisible();
    await expect(page.getByTestId("start-progress")).toHaveText("0 of 4 done");
    await fitsThePhone(page);
    await page.screenshot({ path: join(ARTIFACTS, "getting-started-390x844.png"), fullPage: true });

    // 1. The name, saved to the profile.
    await step(page, "Your name").getByLabel("Your name").fill("Maya Okafor");
    await page.getByRole("button", { name: "Save my name" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Hello, Maya Okafor");
    await expect(step(page, "Your name")).toContainText("Done");

    // 2. The recovery code: the one Settings shows, copied and downloaded intact.
    const code = (await page.getByTestId("start-recovery-code").textContent()).trim();
    expect(code).toMatch(/^([0-9A-Z*~$=]{4}-){13}[0-9A-Z*~$=]$/);
    await page.getByRole("button", { name: "Copy code" }).click();
    await expect(page.getByTestId("start-status")).toContainText("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download code" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("amplify-recovery-code.txt");
    expect(readFileSync(await download.path(), "utf8")).toContain(code);

    // Checked from where it was kept: a wrong group is refused, the right ones (as typed) pass.
    await page.getByRole("button", { name: "I have kept it" }).click();
    await expect(page.getByTestId("start-recovery-code")).toHaveCount(0);
    await answerCheck(page, code, { wrong: true });
    await expect(page.getByTestId("start-status")).toContainText("does not match");
    await expect(step(page, "Keep your recovery code")).not.toContainText("Done");
    await answerCheck(page, code);
    await expect(step(page, "Keep your recovery code")).toContainText("Done");
    await expect(page.getByRole("status").filter({ hasText: "Your recovery code is kept" })).toBeVisible();

    // 3. Installing: this browser offers its own invitation; the step uses it.
    await expect(page.getByTestId("install-how")).toContainText("Install app");
    await page.evaluate(() => {
      const offer = new Event("beforeinstallprompt", { cancelable: true });
      offer.prompt = async () => {
        window.promptShown = true;
      };
      offer.userChoice = Promise.resolve({ outcome: "accepted", platform: "web" });
      dispatchEvent(offer);
    });
    await page.getByRole("button", { name: "Install Amplify" }).click();
    await expect(step(page, "Install Amplify")).toContainText("Done");
    expect(await page.evaluate(() => window.promptShown)).toBe(true);

    // 4. The browser asked to keep the data: refused at first (said plainly), then granted.
    await page.getByRole("button", { name: "Protect my data" }).click();
    await expect(page.getByTestId("start-status")).toContainText("said not yet");
    // Chromium grants it by engagement (installed, bookmarked, visited often), which a fresh
    // headless profile cannot earn: from here the browser's answer is a stand-in that agrees.
    const agreeing = () => {
      navigator.storage.persist = async () => {
        sessionStorage.setItem("persist-granted", "yes");
        return true;
      };
      navigator.storage.persisted = async () => sessionStorage.getItem("persist-granted") === "yes";
    };
    await page.addInitScript(agreeing);
    await page.evaluate(agreeing);
    await page.getByRole("button", { name: "Protect my data" }).click();
    await expect(step(page, "Keep your data on this device")).toContainText("Done");
    await expect(page.getByTestId("start-progress")).toHaveText("4 of 4 done");
    await page.screenshot({ path: join(ARTIFACTS, "getting-started-done-390x844.png"), fullPage: true });

    // Done: Home is Home again, and Settings shows the same code.
    await page.reload();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Hello, Maya Okafor");
    await expect(page.getByRole("heading", { name: "Today's prompt" })).toBeVisible();
    await expect(card(page)).toHaveCount(0);
    await page.goto("/settings");
    await page.getByRole("button", { name: "Show recovery code" }).click();
    await expect(page.getByTestId("recovery-code")).toHaveText(code);
  } finally {
    await context.close();
  }
});

test("on an iPhone the install step says how Safari does it, and Finish later puts the card away", async ({
  browser,
  baseURL,
}) => {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 390, height: 844 },
    hasTouch: true,
    userAgent:
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  });
  const page = await context.newPage();
  try {
    await page.goto("/");
    await step(page, "Install Amplify").locator("summary").click();
    await expect(page.getByTestId("install-how")).toContainText("Add to Home Screen");
    await expect(page.getByRole("button", { name: "Install Amplify" })).toHaveCount(0);
    await page.getByRole("button", { name: "Finish later" }).click();
    await expect(card(page)).toHaveCount(0);
    await page.reload();
    await expect(page.getByRole("heading", { name: "Today's prompt" })).toBeVisible();
    await expect(card(page)).toHaveCount(0);
  } finally {
    await context.close();
  }
});

test("at 200% text size the first steps fit a 390 px phone", async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Page.enable");
  await cdp.send("Page.setFontSizes", { fontSizes: { standard: 32, fixed: 26 } });
  await page.goto("/");
  await expect(card(page)).toBeVisible();
  expect(await step(page, "Your name").getByLabel("Your name").evaluate((e) => parseFloat(getComputedStyle(e).fontSize))).toBe(32);
  await fitsThePhone(page);
  await page.screenshot({ path: join(ARTIFACTS, "getting-started-200-percent-text-390x844.png") });
  // Only the step to do now is open; another opens from its title, with the keyboard too.
  await expect(page.getByRole("button", { name: "I have kept it" })).toBeHidden();
  await step(page, "Keep your recovery code").locator("summary").focus();
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "I have kept it" }).click();
  await expect(page.locator("#start-group-a")).toBeVisible();
  await fitsThePhone(page);
  await page.screenshot({ path: join(ARTIFACTS, "getting-started-check-200-percent-text-390x844.png") });
});
