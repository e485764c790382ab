// Writing, finding, editing and deleting journal entries, with everything kept on reload.
import { test, expect } from "@playwright/test";
import { JournalPage, monthsWritten, restoreDevice, storedCount } from "../support/journal.js";

test("three entries are all there after a reload, newest first under Today", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await expect(page.locator(".count")).toHaveText("No entries yet. Your first one is a tap away.");
  await journal.writeEntry("Boarding in Heathrow. Nervous about the pitch.");
  await journal.writeEntry("Practised the pitch with Sam on the plane.", { tags: ["pitch"] });
  await journal.writeEntry("Landed. The pitch went well!", { energy: "Energised" });

  await page.reload();
  await journal.ready();
  await expect(page.locator(".count")).toHaveText("3 entries");
  await journal.expectTitles([
    "Landed. The pitch went well!",
    "Practised the pitch with Sam on the plane.",
    "Boarding in Heathrow. Nervous about the pitch.",
  ]);
  await expect(page.locator(".day h2")).toHaveText(["Today"]);
  await expect(journal.entries.locator(".entry-card").first()).toContainText("Energy: Energised");
});

test("an entry answering today's prompt is titled by the prompt", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  const prompt = await page.locator(".today .prompt").textContent();
  await journal.newEntry({ prompt: true });
  await expect(page.getByLabel("Prompt")).toHaveValue(prompt);
  await expect(page.locator("label[for=body]")).toHaveText(prompt);
  await journal.write("I held back when the MD asked for ideas.");
  await journal.backToJournal();
  await journal.expectTitles([prompt]);
  await expect(journal.entries).toContainText("I held back when the MD asked for ideas.");
});

test("search finds entries by words and by tags", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("Gave honest feedback to my team lead.", { tags: ["feedback", "courage"] });
  await journal.writeEntry("Forest walk with the home group.", { tags: ["immersion"] });
  await journal.writeEntry("Asked for feedback on my experiment.", { tags: ["feedback"] });

  await journal.search.fill("FOREST");
  await journal.expectTitles(["Forest walk with the home group."]);

  await journal.search.fill("#feedback");
  await expect(page.locator(".count")).toHaveText("2 entries");

  await journal.search.fill("");
  await page.getByRole("button", { name: "#courage (1)" }).click();
  await expect(page.getByRole("button", { name: "#courage (1)" })).toHaveAttribute("aria-pressed", "true");
  await journal.expectTitles(["Gave honest feedback to my team lead."]);

  await journal.search.fill("nothing like this");
  await expect(page.locator(".count")).toHaveText("No entries match.");
});

test("a journal's tags stay one short row above the list: the most used, then all on request", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  const tags = ["agility", "boldness", "courage", "delegation", "empathy", "focus", "growth", "humility"];
  await journal.writeEntry("Eight things at once.", { tags });
  await journal.writeEntry("Humility again.", { tags: ["humility"] });
  const filters = page.getByRole("group", { name: "Filter by tag" });
  const more = filters.getByRole("button", { name: "All 8 tags" });
  // The six most used (humility twice, then by name), and a way to the rest.
  await expect(filters.getByRole("button", { name: /^#/ })).toHaveText([
    "#humility (2)", "#agility (1)", "#boldness (1)", "#courage (1)", "#delegation (1)", "#empathy (1)",
  ]);
  await expect(more).toHaveAttribute("aria-expanded", "false");
  await more.click();
  await expect(filters.getByRole("button", { name: /^#/ })).toHaveCount(8);
  await filters.getByRole("button", { name: "#growth (1)" }).click();
  await journal.expectTitles(["Eight things at once."]);
  // Fewer again: the tag in use stays in sight, pressed.
  await filters.getByRole("button", { name: "Fewer tags" }).click();
  await expect(filters.getByRole("button", { name: /^#/ })).toHaveCount(7);
  await expect(filters.getByRole("button", { name: "#growth (1)" })).toHaveAttribute("aria-pressed", "true");
  await expect(filters.getByRole("button", { name: "#focus (1)" })).toHaveCount(0);
});

test("a tag in Arabic reads in its own direction on its chip, its count after it", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("تعلمت أن أستمع أولاً", { tags: ["تعلم"] });
  const chip = page.getByRole("button", { name: "#تعلم (1)" });
  await expect(chip).toBeVisible();
  // Drawn left to right as "#", the tag, then "(1)": the count must not slip in between.
  const [tag, count] = await chip.evaluate((button) => {
    const range = document.createRange();
    const rect = (node) => {
      range.selectNodeContents(node);
      return range.getBoundingClientRect();
    };
    const number = [...button.childNodes].find((n) => n.textContent.includes("(1)"));
    const word = [...button.querySelectorAll("*")].find((n) => n.textContent === "تعلم") ?? button;
    return [rect(word), rect(number)];
  });
  expect(count.left).toBeGreaterThanOrEqual(tag.right - 1);
});

test("a long journal shows forty entries, older ones on request, and a new search starts from the newest", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  for (let i = 1; i <= 42; i++) {
    await journal.newEntry();
    await journal.body.fill(`Day ${i} of the programme`);
    await journal.backToJournal();
  }
  await journal.saved();
  const cards = journal.entries.locator(".entry-card");
  await expect(cards).toHaveCount(40);
  await page.getByRole("button", { name: "Show older entries (2 more)" }).click();
  await expect(cards).toHaveCount(42);
  await expect(cards.last()).toContainText("Day 1 of the programme");
  // A search shows its first forty again, newest first.
  await journal.search.pressSequentially("programme");
  await expect(cards).toHaveCount(40);
  await expect(cards.first()).toContainText("Day 42 of the programme");
  await expect(page.getByRole("button", { name: "Show older entries (2 more)" })).toBeVisible();
});

test("an entry can be edited, and deleted with undo", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("First draft of my leadership statement.", { tags: ["statement"] });

  await journal.entries.getByRole("link").first().click();
  await journal.write("Second draft: I lead by listening first.");
  await page.getByRole("button", { name: "Remove tag statement" }).click();
  await journal.saved();
  await page.reload();
  await expect(journal.body).toHaveValue("Second draft: I lead by listening first.");
  await expect(page.getByRole("list", { name: "Tags" }).locator("li")).toHaveCount(0);

  await page.getByRole("button", { name: "Delete entry" }).click();
  await journal.ready();
  await expect(page.locator(".count")).toHaveText("No entries yet. Your first one is a tap away.");
  await expect(page.getByRole("status").filter({ hasText: "Entry deleted." })).toBeVisible();
  await page.getByRole("button", { name: "Undo" }).click();
  await journal.expectTitles(["Second draft: I lead by listening first."]);
  await journal.saved();
  await page.reload();
  await journal.ready();
  await journal.expectTitles(["Second draft: I lead by listening first."]);
});

test("an entry left empty is not kept", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.newEntry();
  await journal.backToJournal();
  await expect(page.locator(".count")).toHaveText("No entries yet. Your first one is a tap away.");
});

test("entries are shown as text, never as markup, and right-to-left text reads right", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry('<img src=x onerror="document.body.dataset.owned=1"> bold <b>claim</b>');
  await journal.writeEntry("اليوم تعلمت أن أستمع أولاً");
  await expect(page.locator("img[src=x]")).toHaveCount(0);
  expect(await page.evaluate(() => document.body.dataset.owned)).toBeUndefined();
  await expect(journal.entries).toContainText("<b>claim</b>");
  const arabic = journal.entries.locator(".title", { hasText: "اليوم" });
  await expect(arabic).toHaveAttribute("dir", "auto");
  expect(await arabic.evaluate((el) => getComputedStyle(el).direction)).toBe("rtl");
});

test("a tap is kept even when the page is left straight after it", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("Energy check after the offsite.");
  await journal.entries.getByRole("link").first().click();
  await journal.setEnergy("Energised");
  await page.reload(); // no waiting for "Saved": the tap saves at once
  await expect(page.locator("fieldset.energy").getByLabel("Energised")).toBeChecked();
});

test("typing is saved once per pause, not once per keystroke", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.newEntry();
  await journal.saved();
  const records = () => storedCount(page, "changes");
  const before = await records();
  // Twelve keys at a steady pace, each well after the save of the one before has finished.
  await journal.body.pressSequentially("Slow typing.", { delay: 120 });
  await journal.saved();
  // The first key after the quiet spell is saved at once; the rest in one save when it stops.
  expect(await records()).toBeLessThanOrEqual(before + 2);
  await page.reload();
  await expect(journal.body).toHaveValue("Slow typing.");
});

test("the first keystroke after a pause is painted before it is saved, and saved a frame later", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.newEntry();
  await journal.write("Notes from the plant tour.");
  // Counts the frames the page paints; notes the count at each keystroke and at each save
  // written to the device's log of changes.
  await page.evaluate(() => {
    window.painted = 0;
    const tick = () => {
      window.painted++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    window.typed = [];
    window.stored = [];
    document.addEventListener("input", () => window.typed.push(window.painted), true);
    const add = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function (...args) {
      if (this.name === "changes") window.stored.push(window.painted);
      return add.apply(this, args);
    };
  });
  // Each the first key after a pause: saved at once, not at the end of a run.
  for (const key of ["!", "?", "."]) {
    await journal.body.press(key);
    await journal.saved();
  }
  const [typed, stored] = await page.evaluate(() => [window.typed, window.stored]);
  expect(typed).toHaveLength(3);
  expect(stored).toHaveLength(3);
  for (const [i, frame] of typed.entries()) {
    expect(stored[i], "a frame was painted between the keystroke and its save").toBeGreaterThan(frame);
  }
  await page.reload();
  await expect(journal.body).toHaveValue("Notes from the plant tour.!?.");
});

test("edits the page had no time to store come back after the reload", async ({ page }) => {
  const journal = new JournalPage(page);
  await journal.open();
  await journal.writeEntry("Before the train left.");
  await journal.entries.getByRole("link").first().click();
  // From here IndexedDB takes no writes, as when a page is gone before its writes commit
  // (a reload, the app swiped away a moment after a tap).
  await page.evaluate(() => {
    const never = () => Object.assign(new EventTarget(), { readyState: "pending" });
    IDBObjectStore.prototype.put = never;
    IDBObjectStore.prototype.add = never;
  });
  await journal.setEnergy("Energised");
  await journal.body.fill("Before the train left. Written in the tunnel.");
  await page.reload();
  await expect(page.locator("fieldset.energy").getByLabel("Energised")).toBeChecked();
  await expect(journal.body).toHaveValue("Before the train left. Written in the tunnel.");
  await journal.saved();
  // Stored now: the copy kept for the reload is gone, and the edits stay.
  const kept = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("amplify.rescue.")));
  await expect.poll(kept).toEqual([]);
  await page.reload();
  await expect(journal.body).toHaveValue("Before the train left. Written in the tunnel.");
  await expect(page.locator("fieldset.energy").getByLabel("Energised")).toBeChecked();
});

test("jump to a month: the list shows that month alone, and every month again", async ({ page }) => {
  const journal = new JournalPage(page);
  // Written in September, on the browser's clock; then today.
  await page.clock.setFixedTime(new Date("2026-09-14T09:00:00"));
  await journal.open();
  await journal.writeEntry("A September evening in Tokyo");
  await page.clock.setFixedTime(new Date("2026-10-02T09:00:00"));
  await journal.writeEntry("October, back home");
  await journal.open();
  await journal.expectTitles(["October, back home", "A September evening in Tokyo"]);

  const jump = page.getByLabel("Jump to a month");
  await expect(jump.locator("option")).toHaveText(["All months", "October 2026 (1 entry)", "September 2026 (1 entry)"]);
  await jump.selectOption({ label: "September 2026 (1 entry)" });
  await journal.expectTitles(["A September evening in Tokyo"]);
  await expect(page.getByRole("status").filter({ hasText: /entr/ })).toHaveText("1 entry");
  // Back from an entry returns to the same month.
  await journal.entries.getByRole("link", { name: /September evening/ }).click();
  await journal.backToJournal();
  await expect(jump).toHaveValue("2026-09");
  await journal.expectTitles(["A September evening in Tokyo"]);
  await jump.selectOption({ label: "All months" });
  await journal.expectTitles(["October, back home", "A September evening in Tokyo"]);
});

test("an entry started while older months are still opening keeps its editor and its words", async ({ browser }) => {
  // Eight months of a programme, an entry in each, written on a faked clock...
  const records = await monthsWritten(browser, [3, 4, 5, 6, 7, 8, 9, 10]);
  // ...and opened on the real one, on a slow phone: this month first, the older ones after it.
  const context = await browser.newContext();
  const page = await context.newPage();
  const journal = new JournalPage(page);
  await restoreDevice(page, records);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 8 });
  await page.goto("/journal");
  await expect(page.locator(".count")).toContainText("opening older months");
  await journal.newEntry();
  const editor = await journal.body.elementHandle();
  await page.waitForFunction(() => performance.getEntriesByName("journal-all-months").length > 0);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  // The journal finished opening under the editor: the same editor, its entry still there.
  expect(await editor.evaluate((body) => body.isConnected), "the editor was not rebuilt").toBe(true);
  await expect(journal.body).toBeFocused();
  await journal.write("Started before the journal had opened");
  await journal.open();
  await expect(journal.entries.locator(".entry-card").first()).toContainText("Started before the journal had opened");
  await expect(page.locator(".count")).toHaveText("9 entries");
  await context.close();
});

test("a journal opened in a hidden tab, which gets no frames, still reads its older months", async ({ browser }) => {
  // Two months written, on a faked clock...
  const records = await monthsWritten(browser, [9, 10]);
  // ...opened once, which keeps each month's list for the next start...
  const context = await browser.newContext();
  const page = await context.newPage();
  const journal = new JournalPage(page);
  await restoreDevice(page, records);
  await journal.open();
  // (Polled by timer: Playwright's default polls on animation frames, which this page stops.)
  const opened = () => performance.getEntriesByName("journal-all-months").length > 0;
  await page.waitForFunction(opened, null, { polling: 100 });
  // ...and again in a tab the browser keeps hidden (a link opened in the background): no
  // animation frame ever comes, and the older month, drawn from its list, is still read.
  await page.addInitScript(() => {
    Object.defineProperty(Document.prototype, "visibilityState", { get: () => "hidden" });
    Object.defineProperty(Document.prototype, "hidden", { get: () => true });
    window.requestAnimationFrame = () => 0;
  });
  await page.reload();
  await page.waitForFunction(opened, null, { polling: 100 });
  await page.getByLabel("Jump to a month").selectOption({ label: "All months" });
  await journal.expectTitles(["Month 10 of the programme", "Month 9 of the programme"]);
  await context.close();
});

test("this month at a glance: the days written and a run of days, never a reproach", async ({ page }) => {
  const journal = new JournalPage(page);
  await page.clock.setFixedTime(new Date("2026-10-01T09:00:00"));
  await journal.open();
  await expect(page.getByTestId("month-glance")).toHaveText("A new page for October 2026.");
  await journal.writeEntry("First of the month");
  await page.clock.setFixedTime(new Date("2026-10-02T09:00:00"));
  await journal.open();
  await expect(page.getByTestId("month-glance")).toHaveText("You wrote on 1 day in October 2026.");
  await journal.writeEntry("Second day");
  await journal.open();
  await expect(page.getByTestId("month-glance")).toHaveText("You wrote on 2 days in October 2026 · 2 days in a row.");
});
