// Maya's experiment reaches the showcase, where executives read and filter it; the Little
// Black Book prints every participant's profile and experiment story to a clean PDF.
import { test, expect } from "@playwright/test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { ARTIFACTS } from "../support/env.js";
import { joinCohort, startCohort } from "../support/programme.js";

async function experiment(person, group, name, fields, stage) {
  await person.createGroup(group, name);
  await person.page.goto("/experiment");
  await person.page.waitForURL(/\/canvas\//);
  for (const [label, text] of Object.entries(fields)) {
    while (!(await person.page.getByRole("textbox", { name: label, exact: true }).isVisible())) {
      await person.page.getByRole("button", { name: "Next →" }).click();
    }
    await person.page.getByRole("textbox", { name: label, exact: true }).fill(text);
  }
  if (stage) await person.page.getByLabel("Stage").selectOption(stage);
}

test("a showcased experiment reaches executives, and the Little Black Book prints to PDF", async ({ browser, baseURL }) => {
  const { team, invite } = await startCohort(browser, baseURL, "Amplify 2026");
  const maya = await joinCohort(browser, baseURL, await invite("participant"), "Maya", { region: "Nordics" });
  const sam = await joinCohort(browser, baseURL, await invite("participant"), "Sam", { region: "APAC" });
  const noor = await joinCohort(browser, baseURL, await invite("participant"), "Noor", { region: "Nordics" });
  const ines = await joinCohort(browser, baseURL, await invite("coach"), "Inès");
  const eve = await joinCohort(browser, baseURL, await invite("executive viewer"), "Eve");
  try {
    await maya.page.goto("/profile");
    await maya.page.getByLabel("Leadership statement").fill("I lead by asking the second question.");
    // Only those who choose are in the book: Maya and Sam do, Noor does not.
    await maya.page.getByLabel("Include me in the Little Black Book").check();
    await maya.journal.saved();
    await sam.page.goto("/profile");
    await sam.page.getByLabel("Include me in the Little Black Book").check();
    await sam.journal.saved();
    await experiment(maya, "Nordics Rising", "Maya", {
      "What problem am I personally motivated to solve?": "Older fans never try streaming.",
      "We believe that…": "a curated weekly playlist will bring them in.",
      "We learned…": "They trust a radio voice more than an algorithm.",
      "Business impact": "A radio partnership in three Nordic markets.",
    }, "showcased");
    await expect(maya.page.getByText("Published to the cohort's showcase.")).toBeVisible();
    await maya.synced();

    await experiment(sam, "APAC Explorers", "Sam", {
      "What problem am I personally motivated to solve?": "Vloggers don't know our catalogue.",
    }, "learning");
    await sam.page.getByRole("button", { name: "Next →" }).click();
    while (!(await sam.page.getByRole("button", { name: "Publish to the showcase" }).isVisible())) {
      await sam.page.getByRole("button", { name: "Next →" }).click();
    }
    await sam.page.getByRole("button", { name: "Publish to the showcase" }).click();
    await sam.synced();

    // The executive reads the showcase, and filters it.
    await eve.page.goto("/showcase");
    const stories = eve.page.getByTestId("showcase").locator("article");
    await expect(stories).toHaveCount(2, { timeout: 20_000 });
    await expect(eve.page.getByTestId("showcase")).toContainText("A radio partnership in three Nordic markets.");
    await eve.page.getByLabel("Region").selectOption("APAC");
    await expect(stories).toHaveCount(1);
    await expect(stories.first()).toContainText("Vloggers don't know our catalogue.");
    await eve.page.getByLabel("Region").selectOption("");
    await eve.page.getByLabel("Stage").selectOption("showcased");
    await expect(stories).toHaveCount(1);
    await expect(stories.first()).toContainText("Maya");

    // The Little Black Book: a cover, the contents by region, one page per participant who
    // chose to be in it (not Noor, not the coach).
    await noor.synced();
    await eve.page.goto("/book");
    await expect(eve.page.getByTestId("book-page")).toHaveCount(2, { timeout: 20_000 });
    await expect(eve.page.getByTestId("book-contents")).toHaveText(/APAC\s*Sam\s*3\s*Nordics\s*Maya\s*4/);
    await expect(eve.page.getByText("Experiment not published yet.")).toHaveCount(0);
    // The cover names the cohort once its document is here (it may arrive after the cards).
    await expect(eve.page.locator(".book-cover .cohort-name")).toHaveText("Amplify 2026", { timeout: 20_000 });
    const pdf = await eve.page.pdf({ format: "A4", printBackground: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, "little-black-book.pdf"), pdf);
    const doc = await getDocument({ data: new Uint8Array(pdf), verbosity: 0 }).promise;
    expect(doc.numPages).toBe(4);
    const pages = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const content = await (await doc.getPage(i)).getTextContent();
      pages.push(content.items.map((item) => item.str).join(" "));
    }
    expect(pages[0]).toContain("The Little Black Book of Talent");
    expect(pages[0]).toContain("Amplify 2026");
    const book = pages.join("\n");
    for (const text of ["Maya", "Nordics", "I lead by asking the second question.", "Older fans never try streaming.", "Sam", "APAC"]) {
      expect(book).toContain(text);
    }
    expect(pages[1]).toContain("Contents");
    expect(pages[2]).toContain("Sam");
    expect(pages[3]).toContain("Maya");
    expect(pages[3]).toContain("Home group Nordics Rising");
    expect(pages[3].split("Maya").length - 1, "Maya named once on her page").toBe(1);
    // Page numbers in the margin, from the contents on; none on the cover.
    expect(pages[2]).toMatch(/(^|\s)3(\s|$)/);
    expect(pages[3]).toMatch(/(^|\s)4(\s|$)/);
    expect(pages[0]).not.toMatch(/(^|\s)1(\s|$)/);
    for (const chrome of ["Print or save as PDF", "Saved on this device", "Synced", "More"]) {
      expect(book, `app chrome "${chrome}" in the PDF`).not.toContain(chrome);
    }
    expect(book).not.toContain("Inès");
    expect(book).not.toContain("Noor");
  } finally {
    await Promise.all([team, maya, sam, noor, ines, eve].map((p) => p.close()));
  }
});
