/**
 * Makes docs/report.png, the README's picture of the HTML report: `scanwatch analyze --report`
 * on fixtures/scenarios/mixed, opened in chromium with the browser tests' own code
 * (test/report/browser.ts), with the most dangerous attacker clicked.
 *
 *   npm run build && node --import tsx bench/report-screenshot.ts [OUT.png]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, openReport } from "../test/report/browser.js";

const root = join(import.meta.dirname, "..");
const out = process.argv[2] ?? join(root, "docs", "report.png");
const dir = mkdtempSync(join(tmpdir(), "scanwatch-screenshot-"));
const report = join(dir, "mixed.html");
execFileSync(
  process.execPath,
  [
    join(root, "bin", "scanwatch"),
    "analyze",
    "--tz",
    "UTC",
    "--quiet",
    "--no-stdout",
    "--report",
    report,
    "fixtures/scenarios/mixed/kern.log",
    "fixtures/scenarios/mixed/auth.log",
  ],
  { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
);
const browser = await launchBrowser({ width: 1440, height: 1080 });
try {
  const r = await openReport(browser, report);
  if (r.errors.length || r.blocked.length) throw new Error([...r.errors, ...r.blocked].join("\n"));
  await r.page.locator("#attackers button.attacker").first().click();
  await r.page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
