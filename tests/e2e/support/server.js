// Starts a server of our own for specs that need to restart it (a new deploy, say).
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, SERVER } from "./env.js";

/** A copy of the built app that a spec may change, as a new deploy would. */
export function copyOfDist() {
  const dir = mkdtempSync(join(tmpdir(), "amplify-dist-"));
  cpSync(join(ROOT, "dist"), dir, { recursive: true });
  return dir;
}

/**
 * Starts the server on `port` serving `dist`; resolves once it listens. Admission is open
 * unless `flags` say otherwise (pass `[]` and `open: false` for a relay that needs registrations).
 */
export function startServer({ port, dist, dataDir = mkdtempSync(join(tmpdir(), "amplify-data-")), open = true, flags = [], env = {} }) {
  const args = ["--port", String(port), "--dist", dist, "--data-dir", dataDir, ...(open ? ["--open-admission"] : []), ...flags];
  const child = spawn(SERVER, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } });
  return new Promise((resolve, reject) => {
    let out = "";
    // What the server printed so far (stdout and stderr), for specs that read its log.
    const log = () => out;
    child.stderr.on("data", (chunk) => {
      out += chunk;
    });
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("Amplify is running at")) resolve({ child, dataDir, log, url: `http://127.0.0.1:${port}` });
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

export async function stopServer({ child }) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
