// A browser profile on a small disk of its own (a tmpfs), so "the disk is full" is real.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Mounts a tmpfs of `megabytes`; returns its path. Needs root, as CI and ./x test run. */
export function mountSmallDisk(megabytes) {
  const dir = mkdtempSync(join(tmpdir(), "amplify-small-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir]);
  } catch (error) {
    throw new Error(`Mounting a ${megabytes} MB tmpfs at ${dir} failed (this test needs root): ${error.message}`);
  }
  return dir;
}

export function unmountSmallDisk(dir) {
  execFileSync("umount", ["--lazy", dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Fills the origin's storage with another database (photos, say) until the browser refuses
 * even a few bytes more: big chunks first, then ever smaller ones. */
export async function fillStorage(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const open = indexedDB.open("filler", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("s");
        open.onsuccess = () => {
          const sizes = [1 << 20, 1 << 16, 1 << 12, 1 << 8, 16];
          let written = 0;
          let error;
          const step = () => {
            if (sizes.length === 0) {
              open.result.close();
              resolve({ bytes: written, error });
              return;
            }
            const size = sizes[0];
            const tx = open.result.transaction("s", "readwrite");
            const chunk = new Uint8Array(size);
            crypto.getRandomValues(chunk.subarray(0, Math.min(size, 65536)));
            tx.objectStore("s").put(size >= 1 << 16 ? new Blob([chunk]) : chunk, `chunk-${written}`);
            tx.oncomplete = () => {
              written += size;
              step();
            };
            tx.onabort = () => {
              error = tx.error?.name;
              sizes.shift();
              step();
            };
          };
          step();
        };
      }),
  );
}

/** Deletes what `fillStorage` wrote. */
export async function freeStorage(page) {
  await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const request = indexedDB.deleteDatabase("filler");
        request.onsuccess = resolve;
        request.onerror = () => reject(request.error);
      }),
  );
}
