// Where things are, and how Chromium is started, for the specs and the bench scripts alike.
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const SERVER = process.env.AMPLIFY_SERVER_BIN ?? join(ROOT, "target", "debug", "server");
export const ARTIFACTS = join(ROOT, "tests", "e2e", "artifacts");

/** Launch options: Debian's Chromium, headless, no network chatter of its own. */
export const CHROMIUM = {
  executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
};
