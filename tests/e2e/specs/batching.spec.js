// A week offline goes out as a handful of blobs: the outbox folds the changes queued for each
// document into one, and the other device gets exactly what was written, across a reload.
import { test, expect } from "@playwright/test";
import { join } from "node:path";
import { Person } from "../support/people.js";
import { storedCount } from "../support/journal.js";
import { ROOT } from "../support/env.js";
import { startServer, stopServer } from "../support/server.js";

/** How many blobs this device has queued for the relay (its outbox in IndexedDB). */
const queued = (page) => storedCount(page, "outbox");

async function metric(server, name) {
  const metrics = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: "Bearer batching" } })).text();
  return Number(metrics.match(new RegExp(`^amplify_${name} (\\d+)$`, "m"))[1]);
}
const storedBlobs = (server) => metric(server, "stored_blobs");

test("changes queued offline go out folded per document, exactly as written, across a reload", async ({ browser }) => {
  const server = await startServer({ port: 18796, dist: join(ROOT, "dist"), flags: ["--metrics-token", "batching"] });
  const phone = await Person.open(browser, server.url);
  const laptop = await Person.open(browser, server.url);
  try {
    await phone.journal.ready();
    await phone.journal.writeEntry("Before the flight.");
    await phone.synced();
    await laptop.linkTo(phone);
    await laptop.journal.expectTitles(["Before the flight."]);
    await phone.journal.open();
    await phone.synced();

    // A week offline: entries written save by save, a reload in the middle, more writing.
    await phone.offline(true);
    for (const text of ["Day one: the plant tour.", "Day two: a hard conversation."]) {
      await phone.journal.newEntry();
      // Word by word, each saved before the next: one queued blob per save.
      for (const [i, word] of text.split(" ").entries()) {
        await phone.journal.body.pressSequentially(i ? ` ${word}` : word);
        await phone.journal.saved();
      }
      await phone.journal.backToJournal();
    }
    await phone.page.reload();
    await phone.journal.ready();
    await phone.journal.writeEntry("Day three: what I learned.", { tags: ["listening"], energy: "Energised" });
    const waiting = await queued(phone.page);
    expect(waiting).toBeGreaterThan(8);

    const before = await storedBlobs(server);
    await phone.offline(false);
    await phone.synced();
    expect(await queued(phone.page)).toBe(0);
    const sent = (await storedBlobs(server)) - before;
    // The journal's month and the profile at most: not one blob per save.
    expect(sent).toBeLessThanOrEqual(2);

    await laptop.journal.open();
    await laptop.journal.expectTitles([
      "Day three: what I learned.",
      "Day two: a hard conversation.",
      "Day one: the plant tour.",
      "Before the flight.",
    ]);
    await laptop.page.getByText("Day two: a hard conversation.").click();
    await expect(laptop.journal.body).toHaveValue("Day two: a hard conversation.");
  } finally {
    await phone.close();
    await laptop.close();
    await stopServer(server);
  }
});

test("a long spell offline, folded, is followed by a snapshot: the relay keeps the document, not its history", async ({
  browser,
}) => {
  const server = await startServer({ port: 18803, dist: join(ROOT, "dist"), flags: ["--metrics-token", "batching"] });
  const phone = await Person.open(browser, server.url);
  try {
    await phone.journal.ready();
    await phone.journal.writeEntry("Before the flight.");
    await phone.synced();
    const before = await metric(server, "snapshots_accepted_total");

    // Saved word by word: the history (one change per save) soon outweighs the month itself.
    await phone.offline(true);
    await phone.journal.newEntry();
    const words = Array.from({ length: 48 }, (_, i) => `word${i}`);
    for (const [i, word] of words.entries()) {
      await phone.journal.body.pressSequentially(i ? ` ${word}` : word);
      await phone.journal.saved();
    }
    await phone.journal.backToJournal();
    await phone.offline(false);
    await phone.synced();
    await expect.poll(() => metric(server, "snapshots_accepted_total")).toBeGreaterThan(before);
    await expect.poll(() => queued(phone.page)).toBe(0);

    // A device that starts now reads the month from the snapshot, every word of it.
    const laptop = await Person.open(browser, server.url);
    try {
      await laptop.linkTo(phone);
      await laptop.page.getByText("word0 word1", { exact: false }).click();
      await expect(laptop.journal.body).toHaveValue(words.join(" "));
    } finally {
      await laptop.close();
    }
  } finally {
    await phone.close();
    await stopServer(server);
  }
});
