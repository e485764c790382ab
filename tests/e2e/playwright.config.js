// End-to-end tests: Debian's Chromium (never a downloaded browser) against the real server,
// serving the release build in ../../dist. `./x test` builds both before running this.
import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM, ROOT, SERVER } from "./support/env.js";

const port = Number(process.env.AMPLIFY_E2E_PORT ?? 18765);
// Workers evaluate this file again; the variable makes them agree on the server's directory.
process.env.AMPLIFY_E2E_DATA ??= mkdtempSync(join(tmpdir(), "amplify-e2e-data-"));
const dataDir = process.env.AMPLIFY_E2E_DATA;

export default defineConfig({
  testDir: "./specs",
  outputDir: "./test-results",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    isMobile: false,
    hasTouch: true,
    serviceWorkers: "allow",
    launchOptions: CHROMIUM,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: {
    // Open admission, as `./x run` starts it: specs that need registrations start their own.
    command: `${SERVER} --port ${port} --dist ${join(ROOT, "dist")} --data-dir ${dataDir} --open-admission --metrics-token e2e-metrics`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  },
});
