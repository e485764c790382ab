// The workload of server/benches/many_docs.rs against the peer issue 10 names,
// automerge-repo-sync-server (its published package, run as its own process with its own file
// storage): 100 documents x 100 edits, each edit its own change, made before the clock starts
// (a device back online with its saves queued). A writer connects and syncs until the server's
// heads are the writer's for every document; then a fresh device reads all of it. Prints the
// writer's and the reader's time and the server's disk, in the format of many_docs.rs.
//
//   node tests/peer/many_docs.mjs        (./x bench installs its packages and runs it)

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { Repo } from "@automerge/automerge-repo";
import { BrowserWebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const DOCS = 100;
const EDITS = 100;
const here = dirname(fileURLToPath(import.meta.url));

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const dirSize = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const path = join(dir, e.name);
    return sum + (e.isDirectory() ? dirSize(path) : statSync(path).size);
  }, 0);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check()` holds, looking again every 20 ms. */
async function until(check) {
  while (!check()) await sleep(20);
}

/** Bytes on disk once they stop changing for a second (the peer saves on a debounce). */
async function settledSize(dir) {
  let last = -1;
  for (;;) {
    const size = dirSize(dir);
    if (size === last) return size;
    last = size;
    await sleep(1000);
  }
}

const sameHeads = (a, b) => a && b && a.length === b.length && a.every((h) => b.includes(h));

async function main() {
  const work = mkdtempSync(join(tmpdir(), "amplify-peer-"));
  const data = join(work, "data");
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [join(here, "node_modules/@automerge/automerge-repo-sync-server/src/index.js")],
    { cwd: work, env: { ...process.env, PORT: String(port), DATA_DIR: data }, stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise((resolve, reject) => {
    server.stdout.on("data", (chunk) => String(chunk).includes("Listening") && resolve());
    server.on("exit", (code) => reject(new Error(`the sync server exited (${code})`)));
  });
  const url = `ws://127.0.0.1:${port}`;

  try {
    // The edits, made before the clock starts, each its own change.
    const writer = new Repo({ network: [], peerId: "writer", sharePolicy: async () => true });
    const handles = Array.from({ length: DOCS }, () => writer.create());
    for (let edit = 0; edit < EDITS; edit++) {
      for (const handle of handles) handle.change((d) => (d[`edit ${edit}`] = edit));
    }

    const started = performance.now();
    const writing = new BrowserWebSocketClientAdapter(url);
    writer.networkSubsystem.addNetworkAdapter(writing);
    let storageId;
    await until(() => {
      storageId = Object.values(writer.peerMetadataByPeerId).find((m) => m?.storageId)?.storageId;
      return storageId !== undefined;
    });
    await until(() => handles.every((h) => sameHeads(h.getRemoteHeads(storageId), h.heads())));
    const acknowledged = performance.now() - started;
    writing.disconnect();
    const disk = await settledSize(data);

    const readStart = performance.now();
    const reading = new BrowserWebSocketClientAdapter(url);
    const reader = new Repo({ network: [reading], peerId: "reader", sharePolicy: async () => true });
    const read = handles.map((h) => reader.find(h.url));
    let edits = 0;
    await until(() => {
      edits = read.reduce((n, h) => n + (h.isReady() ? Object.keys(h.docSync()).length : 0), 0);
      return edits === DOCS * EDITS;
    });
    const readIn = performance.now() - readStart;
    reading.disconnect();

    const s = (ms) => `${(ms / 1000).toFixed(2)}s`;
    console.log(`automerge-repo-sync-server, ${DOCS} documents x ${EDITS} edits, each its own change:`);
    console.log(`  writer: the server has every change in ${s(acknowledged)}`);
    console.log(`  a fresh device reads everything in ${s(readIn)} (${edits} edits)`);
    console.log(`  server's disk: ${(disk / 1e6).toFixed(3)} MB once its saves settled`);
  } finally {
    server.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
