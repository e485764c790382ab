// One's own data, to take away: the journal and the experiment canvas, as Markdown and as JSON,
// downloaded from the settings page, with no network needed.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { Person } from "../support/people.js";

async function download(person, button) {
  const [file] = await Promise.all([
    person.page.waitForEvent("download"),
    person.page.getByRole("button", { name: button }).click(),
  ]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), "utf8") };
}

test("the journal and the experiment download as Markdown and JSON, offline", async ({ browser, baseURL }) => {
  const maya = await Person.open(browser, baseURL);
  try {
    await maya.journal.ready();
    await maya.journal.writeEntry("Asked the second question in the regional review.", { tags: ["listening"], energy: "Energised" });
    await maya.journal.writeEntry("Stayed quiet until everyone had spoken. Hard!");
    await maya.createGroup("Nordics Rising", "Maya");
    await maya.page.goto("/experiment");
    await maya.page.waitForURL(/\/canvas\//);
    await maya.page.getByRole("textbox", { name: "What problem am I personally motivated to solve?" }).fill("Older fans never try streaming.");
    await maya.page.getByLabel("Stage").selectOption("designed");
    await maya.synced();

    await maya.offline(true);
    await maya.page.goto("/settings");

    const journalMd = await download(maya, "Journal as Markdown");
    expect(journalMd.name).toBe("amplify-journal.md");
    expect(journalMd.text).toMatch(/^# My Amplify journal\n/);
    expect(journalMd.text).toContain("Asked the second question in the regional review.");
    expect(journalMd.text).toContain("#listening · Energy: Energised");
    // Newest first, like the journal itself.
    expect(journalMd.text.indexOf("Stayed quiet")).toBeLessThan(journalMd.text.indexOf("Asked the second question"));

    const journalJson = await download(maya, "Journal as JSON");
    expect(journalJson.name).toBe("amplify-journal.json");
    const journal = JSON.parse(journalJson.text);
    expect(journal.format).toBe("amplify-journal/1");
    expect(journal.entries.map((e) => e.body)).toEqual([
      "Stayed quiet until everyone had spoken. Hard!",
      "Asked the second question in the regional review.",
    ]);
    expect(journal.entries[1].tags).toEqual(["listening"]);

    const canvasMd = await download(maya, "Experiment as Markdown");
    expect(canvasMd.name).toBe("amplify-experiment.md");
    expect(canvasMd.text).toMatch(/^# Maya's experiment\n\nStage: Designed\n/);
    expect(canvasMd.text).toContain("Older fans never try streaming.");

    const canvasJson = await download(maya, "Experiment as JSON");
    expect(canvasJson.name).toBe("amplify-experiment.json");
    expect(JSON.stringify(JSON.parse(canvasJson.text))).toContain("Older fans never try streaming.");
  } finally {
    await maya.close();
  }
});
