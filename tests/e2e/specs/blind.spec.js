// The relay stores what it cannot read: words typed in the journal, the profile and a group's
// notes never appear in the relay's files.
import { test, expect } from "@playwright/test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Person } from "../support/people.js";

test("a canary typed in the app is nowhere in the relay's data directory", async ({ browser, baseURL, request }) => {
  const canary = `CANARY-${Date.now().toString(36)}`;
  const maya = await Person.open(browser, baseURL);
  try {
    await maya.journal.ready();
    await maya.journal.writeEntry(`${canary} my private reflection`);
    await maya.page.goto("/profile");
    await maya.page.getByLabel("Leadership statement").fill(`${canary} in my statement`);
    await maya.createGroup(`${canary} group`, `${canary} Maya`);
    await maya.notes.fill(`${canary} in the notes`);
    await maya.synced();
  } finally {
    await maya.close();
  }
  const metrics = await (await request.get("/metrics", { headers: { Authorization: "Bearer e2e-metrics" } })).text();
  expect(Number(metrics.match(/^amplify_stored_blobs (\d+)$/m)[1])).toBeGreaterThan(3);

  const dir = process.env.AMPLIFY_E2E_DATA;
  let scanned = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const bytes = readFileSync(path);
    scanned += bytes.length;
    expect(bytes.includes(canary), `${canary} found in ${name}`).toBe(false);
    expect(bytes.includes("private reflection"), `plaintext found in ${name}`).toBe(false);
  }
  expect(scanned).toBeGreaterThan(10_000);
});
