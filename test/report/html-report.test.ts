import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Summary } from "../../src/events/summary.js";
import { ReportCollector } from "../../src/report/report-collector.js";
import { renderHtmlReport, scriptSafeJson } from "../../src/report/html-report.js";
import { alert, EMPTY_RUN } from "./support.js";

const HOSTILE = [
  "</script><script>window.__pwned=1</script>",
  "<!--<script>",
  "<img src=x onerror=alert(1)>",
  "&lt;b&gt; & \u2028 \u2029 \" ' `${x}`",
];

function hostileSummary(): Summary {
  const c = new ReportCollector({ generator: "scanwatch test", now: () => new Date(0) });
  c.addAlerts([alert({ host: HOSTILE[0]!, evidence: HOSTILE, samples: [{ file: HOSTILE[2]!, line: 3 }] })]);
  const s = c.summarize({
    ...EMPTY_RUN,
    files: [{ file: HOSTILE[1]!, bytes: 1 }],
    lines: 1,
    rejected: new Map([[HOSTILE[3]!, 1]]),
  });
  s.incidents[0]!.samples[0]!.text = HOSTILE.join(" ");
  return s;
}

/** The body of every <script> element, with its opening tag. */
function scripts(html: string): { tag: string; body: string }[] {
  return [...html.matchAll(/(<script[^>]*>)([\s\S]*?)<\/script>/g)].map((m) => ({ tag: m[1]!, body: m[2]! }));
}

describe("html-report", () => {
  it.each(HOSTILE)("html/script-safe JSON of %j has no markup characters and parses back the same", (s) => {
    const json = scriptSafeJson({ s, nested: [s] });
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual({ s, nested: [s] });
  });

  it("html/log content cannot end or add a script element, and the data parses back whole", () => {
    const summary = hostileSummary();
    const html = renderHtmlReport(summary);
    const els = scripts(html);
    expect(els.map((e) => e.tag)).toEqual([
      '<script type="application/json" id="scanwatch-summary">',
      "<script>",
      "<script>",
    ]);
    expect(JSON.parse(els[0]!.body)).toEqual(summary);
    for (const h of HOSTILE) expect(html).not.toContain(h);
  });

  it("html/the CSP allows exactly the two inline scripts, and nothing from the network", () => {
    const html = renderHtmlReport(hostileSummary());
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    const hashes = scripts(html)
      .slice(1)
      .map((e) => `'sha256-${createHash("sha256").update(e.body).digest("base64")}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hashes.join(" ")};`);
    expect(csp).not.toMatch(/https?:|\*/);
    // Nothing for the browser to fetch: no external scripts, styles, images or frames.
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b|<script[^>]+\bsrc=/i);
  });
});
