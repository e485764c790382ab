// A relay on the internet stores only what its operator registered, within quotas. When it
// refuses, the app says why and what to do, in plain words, and keeps every change on the
// device until the relay takes them.
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, SERVER } from "../support/env.js";
import { Person } from "../support/people.js";
import { startServer, stopServer } from "../support/server.js";

/** Runs the server's operator subcommand on `dataDir`; returns what it printed. */
function operator(dataDir, ...args) {
  return execFileSync(SERVER, ["registration", ...args, "--data-dir", dataDir], { encoding: "utf8" });
}

/** Issues a registration the way an operator does; returns the code to hand out. */
function issue(dataDir) {
  const printed = operator(dataDir, "issue", "--label", "Leadership programme 2027");
  return printed.match(/AMPR-[0-9A-Z*~$=-]+/)[0];
}

/** Bytes the relay counts for the issued registration, from `registration list`. */
function usedBytes(dataDir) {
  const line = operator(dataDir, "list").split("\n").find((l) => l.includes("Leadership programme 2027"));
  return line.match(/\s(\d+(?:\.\d+)? (?:B|KiB|MiB))\s/)[1];
}

test("an unregistered device is told what to do, keeps its words, and syncs once the code is entered", async ({ browser }) => {
  const dataDir = mkdtempSync(join(tmpdir(), "amplify-registered-"));
  const server = await startServer({ port: 18801, dist: join(ROOT, "dist"), dataDir, open: false });
  const code = issue(dataDir);
  const maya = await Person.open(browser, server.url);
  try {
    await maya.journal.ready();
    await maya.journal.writeEntry("Written before the server knew my programme.");
    const problem = maya.page.getByTestId("sync-problem");
    await expect(problem).toContainText("The server does not keep your changes yet");
    await expect(problem).toContainText("registration code in Settings");
    await expect(maya.badge).toHaveText(/changes? waiting/);
    expect(usedBytes(dataDir)).toBe("0 B");

    await maya.page.getByRole("link", { name: "Enter the code in Settings" }).click();
    await maya.page.getByLabel("Registration code").fill(code.toLowerCase().replaceAll("-", " "));
    await maya.page.getByRole("button", { name: "Save the code" }).click();
    await expect(maya.page.getByText("Saved. Your changes go to the server now.")).toBeVisible();
    await expect(maya.badge).toHaveText("Synced", { timeout: 20_000 });
    await expect(problem).toHaveCount(0);
    expect(usedBytes(dataDir)).not.toBe("0 B");

    await maya.page.goto("/journal");
    await maya.journal.expectTitles(["Written before the server knew my programme."]);
    await maya.page.screenshot({ path: join(ROOT, "tests/e2e/artifacts/registered.png") });
  } finally {
    await maya.close();
    await stopServer(server);
  }
});

test("a full space says so plainly, keeps every change, and sends them once there is room", async ({ browser }) => {
  const dataDir = mkdtempSync(join(tmpdir(), "amplify-quota-"));
  const port = 18802;
  let server = await startServer({ port, dist: join(ROOT, "dist"), dataDir, open: false, flags: ["--space-quota", "8KiB"] });
  const code = issue(dataDir);
  const maya = await Person.open(browser, server.url);
  try {
    await maya.journal.ready();
    await maya.page.goto("/settings");
    await maya.page.getByLabel("Registration code").fill(code);
    await maya.page.getByRole("button", { name: "Save the code" }).click();
    await expect(maya.badge).toHaveText("Synced", { timeout: 20_000 });

    await maya.page.goto("/journal");
    const titles = [];
    for (let i = 1; i <= 6; i++) {
      const title = `Day ${i}: ${"what I learned outside my comfort zone ".repeat(12)}`;
      titles.unshift(title.trim());
      await maya.journal.writeEntry(title);
    }
    const problem = maya.page.getByTestId("sync-problem");
    await expect(problem).toContainText("Your journal's storage on the server is full: ask your programme team.", { timeout: 20_000 });
    await expect(problem).toContainText("kept on this device");
    await expect(maya.badge).toHaveText(/changes? waiting/);
    await maya.page.screenshot({ path: join(ROOT, "tests/e2e/artifacts/quota-full.png") });

    // Nothing is lost on the device meanwhile, across a reload.
    await maya.page.reload();
    await maya.journal.ready();
    await expect(maya.journal.entries.locator(".entry-card")).toHaveCount(6);

    // The operator makes room; the waiting changes go by themselves.
    await stopServer(server);
    server = await startServer({ port, dist: join(ROOT, "dist"), dataDir, open: false, flags: ["--space-quota", "10MiB"] });
    await expect(maya.badge).toHaveText("Synced", { timeout: 60_000 });
    await expect(problem).toHaveCount(0);
  } finally {
    await maya.close();
    await stopServer(server);
  }
});
