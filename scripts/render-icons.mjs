// Renders public/icons/*.png from the SVG sources with Debian's Chromium. Run once when the icon
// changes: `node scripts/render-icons.mjs` (needs tests/e2e's node_modules).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/e2e/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const icons = new URL("../public/icons/", import.meta.url);
const svg = (name) => readFileSync(new URL(name, icons), "utf8");
const jobs = [
  ["icon.svg", 192, "icon-192.png"],
  ["icon.svg", 512, "icon-512.png"],
  ["maskable.svg", 512, "maskable-512.png"],
  ["maskable.svg", 180, "apple-touch-icon.png"],
];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
for (const [source, size, target] of jobs) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<style>*{margin:0}svg{width:${size}px;height:${size}px;display:block}</style>${svg(source)}`);
  await page.screenshot({ path: new URL(target, icons).pathname, omitBackground: true });
  await page.close();
}
await browser.close();
