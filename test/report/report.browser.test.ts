import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openReport, type Browser } from "./browser.js";
import { renderHtmlReport } from "../../src/report/html-report.js";
import { ReportCollector } from "../../src/report/report-collector.js";
import { alert, EMPTY_RUN, embeddedSummary, expectedAttackers, MIXED, ROOT } from "./support.js";

/*
 * The HTML report in a real browser (Debian's chromium through playwright-core): it draws, it
 * answers clicks, it fetches nothing, and log content in it stays text. Screenshots are left in
 * DIR (emptied at the start of each run) for a person to look at.
 */

const BIN = join(ROOT, "bin", "scanwatch");
const DIR = join(tmpdir(), "scanwatch-report-browser-test");

function analyze(report: string, files: string[], extra: string[] = []): void {
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      "analyze",
      "--tz",
      "UTC",
      "--year",
      "2026",
      "--quiet",
      "--no-stdout",
      "--report",
      report,
      ...extra,
      ...files,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`scanwatch analyze exited ${r.status}: ${r.stderr}`);
}

let launched: Promise<Browser>;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` before the report tests");
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  launched = launchBrowser();
  // Each test awaits the launch, so a missing chromium fails every test (a failed hook would
  // show them as skipped).
  launched.catch(() => undefined);
});
afterAll(async () => {
  await (await launched.catch(() => undefined))?.close();
});

describe("report in chromium", () => {
  it("report/mixed scenario: timeline drawn, four attackers, evidence on click, no request left the page", async () => {
    const path = join(DIR, "mixed.html");
    analyze(path, MIXED);
    const summary = embeddedSummary(readFileSync(path, "utf8"));
    const r = await openReport(await launched, path);
    const { page } = r;
    expect(r.errors).toEqual([]);
    expect(r.blocked).toEqual([]);
    expect(r.requests).toEqual([pathToFileURL(path).href]);

    // The timeline drew: uPlot's canvas exists and holds more than a blank background.
    const inked = await page.evaluate<number>(`(() => {
      const c = document.querySelector("#timeline canvas");
      if (!c) return -1;
      const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      return n;
    })()`);
    expect(inked).toBeGreaterThan(2000);
    expect(await page.locator("#timeline .u-legend").textContent()).toMatch(
      /TCP.*SSH failures.*high incidents/,
    );

    // The incident table lists the four attackers of expect.json.
    const rows = page.locator("#incidents tbody tr");
    expect(await rows.count()).toBe(4);
    const sources = await page.locator("#incidents tbody button.attacker").allTextContents();
    expect(sources.sort()).toEqual(expectedAttackers("mixed"));

    // Clicking an attacker shows its evidence and its log lines as file:line.
    for (const src of expectedAttackers("mixed")) {
      await page
        .locator("#incidents button.attacker", { hasText: new RegExp(`^${src.replace(/\./g, "\\.")}$`) })
        .click();
      await expect.poll(() => page.locator("#detail .who").textContent()).toBe(src);
      const incident = summary.incidents.find((i) => i.src === src)!;
      expect(await page.locator("#detail .evidence li").allTextContents()).toEqual(incident.evidence);
      const refs = await page.locator("#detail .samples .ref").allTextContents();
      expect(refs).toEqual(incident.samples.map((s) => `${s.file}:${s.line}`));
      expect(await page.locator("#detail .samples code").first().textContent()).toMatch(
        /^Nov 28 \d\d:\d\d:\d\d victim /,
      );
    }

    // Sort by events (largest first), then filter down to the brute force.
    await page.locator("#incidents th", { hasText: "events" }).click();
    expect(await rows.first().locator("button.attacker").textContent()).toBe("198.51.100.76");
    await page.locator("#incident-filter").fill("ssh");
    expect(await rows.count()).toBe(1);
    expect(await page.locator("#incidents-panel .count").textContent()).toMatch(/^1 of 4 incidents/);
    await page.locator("#incident-filter").fill("");
    await page.locator("#severity-filter").selectOption({ label: "high and above" });
    expect(await rows.count()).toBe(1);

    // The top ports and sources charts drew too.
    expect(await page.locator("#top-ports canvas").count()).toBe(1);
    expect(await page.locator("#top-sources canvas").count()).toBe(1);

    const shot = join(DIR, "mixed.png");
    await page.locator("#attackers button.attacker").first().click();
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    expect(r.blocked).toEqual([]);
    expect(r.errors).toEqual([]);
    await page.close();
  });

  it("report/no alerts: the report says so", async () => {
    const path = join(DIR, "benign.html");
    analyze(path, ["fixtures/scenarios/benign/kern.log", "fixtures/scenarios/benign/auth.log"]);
    const r = await openReport(await launched, path);
    expect(r.errors).toEqual([]);
    expect(await r.page.locator("#no-alerts").textContent()).toMatch(/No alerts.*no rule raised an alert/);
    expect(await r.page.locator("#incidents tbody").textContent()).toBe("No incidents.");
    expect(await r.page.locator("#timeline canvas").count()).toBe(1);
    await r.page.screenshot({ path: join(DIR, "benign.png"), fullPage: true });
    await r.page.close();
  });

  it("report/log content (host names, user names, file names) is shown as text and never runs", async () => {
    // The real hydra capture, with markup where an attacker or a log writer controls the text.
    const host = "<img/src=x/onerror=window.__pwned=1>";
    const user = "</script><script>window.__pwned=2</script>";
    const log = readFileSync(join(ROOT, "fixtures/scenarios/ssh-bruteforce/auth.log"), "utf8")
      .replaceAll(" victim sshd", ` ${host} sshd`)
      .replaceAll("Failed password for root from", `Failed password for ${user} from`);
    const file = join(DIR, `evil"'<b>&x.log`);
    writeFileSync(file, log);
    const path = join(DIR, "hostile.html");
    analyze(path, [file]);
    const r = await openReport(await launched, path);
    const dialogs: string[] = [];
    r.page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await r.page.locator("#incidents button.attacker").first().click();
    const sample = await r.page.locator("#detail .samples code").first().textContent();
    expect(sample).toContain(host);
    expect(sample).toContain(user);
    expect(await r.page.locator("#detail .samples .ref").first().textContent()).toContain(`evil"'<b>&x.log:`);
    expect(await r.page.title()).toContain(`evil"'<b>&x.log`);
    expect(await r.page.evaluate("typeof window.__pwned")).toBe("undefined");
    expect(await r.page.locator("img, b, main script").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.blocked).toEqual([]);
    await r.page.close();
  });

  it("report/thousands of incidents: 200 rows drawn until 'show all', filters still see every row", async () => {
    const c = new ReportCollector({ generator: "scanwatch test" });
    c.addAlerts(
      Array.from({ length: 1500 }, (_, k) =>
        alert({ src: `10.${k >> 8}.${k & 255}.1`, severity: k === 1234 ? "critical" : "low" }),
      ),
    );
    const summary = c.summarize({ ...EMPTY_RUN, files: [{ file: "kern.log", bytes: 1 }] });
    const path = join(DIR, "large.html");
    writeFileSync(path, renderHtmlReport(summary));
    const r = await openReport(await launched, path);
    expect(r.errors).toEqual([]);
    const rows = r.page.locator("#incidents tbody tr:not(.more)");
    expect(await rows.count()).toBe(200);
    expect(await r.page.locator("#attackers tbody tr:not(.more)").count()).toBe(200);
    expect(await r.page.locator("#incidents tr.more").textContent()).toMatch(/200 of 1,500 shown/);
    await r.page.locator("#incident-filter").fill("10.4.210.1");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator(".sev").textContent()).toBe("critical");
    await r.page.locator("#incident-filter").fill("");
    await r.page.locator("#incidents tr.more button.show-all").click();
    expect(await rows.count()).toBe(1500);
    await r.page.close();
  });
});
