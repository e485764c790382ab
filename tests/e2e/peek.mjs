import { chromium } from "playwright-core";
import { CHROMIUM } from "./support/env.js";
const browser = await chromium.launch(CHROMIUM);
const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
await page.goto("http://127.0.0.1:8099/");
for (let i = 0; i < 60; i++) {
  await page.getByRole("button", { name: "New entry" }).click();
  await page.locator("#body").fill(`Entry ${i}: ${"a reflection on leading without a title ".repeat(40)}`);
  await page.getByRole("link", { name: "← Journal" }).click();
}
await page.getByText("Saved on this device").waitFor();
await page.waitForTimeout(500);
await page.reload();
await page.waitForFunction(() => performance.getEntriesByName("journal-visible").length > 0);
console.log(await page.evaluate(() => performance.getEntriesByType("mark").map((m) => `${m.startTime.toFixed(0)} ${m.name}`).join("\n")));
console.log(await page.evaluate(() => performance.getEntriesByType("resource").map((m) => `${m.startTime.toFixed(0)}-${m.responseEnd.toFixed(0)} ${m.name.split('/').pop()}`).join("\n")));
await browser.close();
