// Home-group members meet through the relay: joining shows who is in the group, and edits made
// while both are offline merge, with both people's words, once they reconnect.
import { test, expect } from "@playwright/test";
import { Person } from "../support/people.js";

test("two members edit the same notes offline; after reconnecting both see both edits", async ({ browser, baseURL }) => {
  const maya = await Person.open(browser, baseURL);
  const sam = await Person.open(browser, baseURL);
  try {
    await maya.createGroup("Nordics Rising", "Maya");
    await maya.notes.fill("Agenda: pitch");
    await maya.synced();
    const link = await maya.inviteLink();
    expect(new URL(link).hash).toMatch(/^#v2\.g\./);

    await sam.page.goto(link);
    await expect(sam.page.getByRole("heading", { level: 1 })).toHaveText("Join the home group “Nordics Rising”");
    await expect(sam.page.getByText("Maya invited you.")).toBeVisible();
    // Only members see who is in a group: nothing is read before joining.
    await expect(sam.page.getByText("Only members can see who is in the group")).toBeVisible();
    expect(sam.page.url(), "the secret leaves the address bar").not.toContain("#");
    await sam.page.getByLabel("Your name, as the group will see it").fill("Sam");
    await sam.page.getByRole("button", { name: "Join the group" }).click();
    await expect(sam.notes).toHaveValue("Agenda: pitch");
    await expect(maya.page.getByTestId("members")).toHaveText("MayaSam");

    await maya.offline(true);
    await sam.offline(true);
    await expect(maya.badge).toHaveText("Offline");
    await expect(sam.badge).toHaveText("Offline");
    await maya.notes.fill("Agenda: pitch practice");
    await sam.notes.fill("Monday. Agenda: pitch");
    await maya.journal.saved();
    await sam.journal.saved();
    // The header says each thing once: saved here, offline, and what waits to be sent.
    await expect(maya.badge).toHaveText(/^Offline · \d+ changes? waiting$/);

    await maya.offline(false);
    await sam.offline(false);
    await expect(maya.notes).toHaveValue("Monday. Agenda: pitch practice", { timeout: 20_000 });
    await expect(sam.notes).toHaveValue("Monday. Agenda: pitch practice", { timeout: 20_000 });
    await maya.synced();
    await sam.synced();
  } finally {
    await maya.close();
    await sam.close();
  }
});

test("a second invitee sees everyone who joined before, once in", async ({ browser, baseURL }) => {
  const people = await Promise.all([0, 1, 2].map(() => Person.open(browser, baseURL)));
  const [maya, sam, aiko] = people;
  try {
    await maya.createGroup("APAC Explorers", "Maya");
    const link = await maya.inviteLink();
    await sam.joinGroup(link, "Sam");
    await sam.synced();
    await aiko.joinGroup(link, "Aiko");
    await expect(aiko.page.getByTestId("members")).toHaveText("MayaSamAiko", { timeout: 20_000 });
  } finally {
    await Promise.all(people.map((p) => p.close()));
  }
});

test("the relay does not hand a device its own blob back: typing in between is not saved early", async ({
  browser,
  baseURL,
}) => {
  const phone = await Person.open(browser, baseURL);
  try {
    // Counts the saves written to the device's log of changes, and holds what the relay sends
    // while `holding`.
    await phone.context.addInitScript(() => {
      window.saves = 0;
      const add = IDBObjectStore.prototype.add;
      IDBObjectStore.prototype.add = function (...args) {
        if (this.name === "changes") window.saves++;
        return add.apply(this, args);
      };
      window.holding = false;
      window.held = [];
      window.inputs = [];
      document.addEventListener("input", () => window.inputs.push(performance.now()), true);
      window.release = () => {
        window.holding = false;
        for (const [handler, event] of window.held.splice(0)) handler(event);
      };
      const set = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage").set;
      Object.defineProperty(WebSocket.prototype, "onmessage", {
        configurable: true,
        set(handler) {
          set.call(this, handler && ((event) => (window.holding ? window.held.push([handler, event]) : handler(event))));
        },
      });
    });
    await phone.page.reload();
    await phone.journal.ready();
    await phone.journal.newEntry();
    await phone.journal.write("Notes.");
    await phone.synced();

    await phone.page.evaluate(() => (window.holding = true));
    // The first key after a pause is saved and sent at once; the relay acknowledges it (an
    // Ack frame: tag 3). Were the blob handed back as to every other follower (a blob frame,
    // right behind), taking it in would save what is typed meanwhile first.
    await phone.journal.body.press("End");
    await phone.journal.body.press("!");
    await phone.page.waitForFunction(() => window.held.some(([, e]) => new Uint8Array(e.data)[0] === 3));
    // A run of typing, with what the relay sent released in the middle of it: the run is saved
    // once, when it ends.
    await phone.page.evaluate(() => (window.inputs = []));
    const typing = phone.journal.body.pressSequentially("? And more.", { delay: 50 });
    await phone.page.waitForFunction(() => window.inputs.length >= 3);
    const before = await phone.page.evaluate(() => {
      window.release();
      return window.saves;
    });
    await typing;
    await phone.journal.saved();
    const saves = await phone.page.evaluate(() => window.saves);
    // A busy machine can stall the typing itself: each pause long enough to end a run (300 ms)
    // may add the run's save and the next key's. Typed without one, the run is saved once.
    const pauses = await phone.page.evaluate(() => window.inputs.slice(1).filter((t, i) => t - window.inputs[i] >= 250).length);
    expect(saves - before, "the run is saved").toBeGreaterThanOrEqual(1);
    expect(saves - before, `the run is not saved early by a blob coming back (${pauses} pauses in the typing)`).toBeLessThanOrEqual(1 + 2 * pauses);
    await phone.synced();
    await phone.page.reload();
    await expect(phone.journal.body).toHaveValue("Notes.!? And more.");
  } finally {
    await phone.close();
  }
});
