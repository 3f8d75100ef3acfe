import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Summary } from "../events/summary.js";
import { writeFileAtomic } from "../util/atomic-write.js";

const require = createRequire(import.meta.url);

/** The page's own script and style, shipped beside the sources (package.json "files"). */
const ASSETS = new URL("../../src/report/assets/", import.meta.url);

export interface ReportAssets {
  chartJs: string;
  chartCss: string;
  pageJs: string;
  pageCss: string;
}

let cached: ReportAssets | undefined;

/**
 * Reads uPlot and the page's script and style from disk, once: the report inlines them so it
 * opens with no network (an air-gapped laptop, a mail attachment).
 */
export function loadAssets(): ReportAssets {
  cached ??= {
    chartJs: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
    chartCss: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
    pageJs: readFileSync(new URL("report.js", ASSETS), "utf8"),
    pageCss: readFileSync(new URL("report.css", ASSETS), "utf8"),
  };
  return cached;
}

/**
 * JSON safe inside a <script> element: no "<" (so no "</script>" or "<!--"), no "&", and no
 * U+2028/2029. Every one is written as a \u escape, which JSON.parse turns back into the same text.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function inlineScript(code: string): string {
  // Library code is inlined as is: a "</script" inside it would end the element early.
  if (/<\/script/i.test(code)) throw new Error("an inlined script contains </script");
  return code;
}

const sha256 = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

/**
 * The whole report as one HTML document. Log content reaches the page only as JSON data in a
 * non-executable <script type="application/json"> element, and the page script puts it in the
 * document with textContent, never as markup. A Content-Security-Policy allows only the two
 * inline scripts (by hash) and no network at all, so even a mistake there could neither run an
 * injected script nor send anything anywhere.
 */
export function renderHtmlReport(summary: Summary, assets: ReportAssets = loadAssets()): string {
  const chartJs = inlineScript(assets.chartJs);
  const pageJs = inlineScript(assets.pageJs);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(chartJs)} ${sha256(pageJs)}`,
    "style-src 'unsafe-inline'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const files = summary.run.files.map((f) => f.file).join(", ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(summary.generator)}">
<title>scanwatch report: ${escapeHtml(files)}</title>
<style>${assets.chartCss}</style>
<style>${assets.pageCss}</style>
</head>
<body>
<noscript><p class="noscript">This report draws its tables and charts with JavaScript. The data is in the element with id "scanwatch-summary" (the same JSON as <code>scanwatch analyze --summary json</code>).</p></noscript>
<main id="app"></main>
<script type="application/json" id="scanwatch-summary">${scriptSafeJson(summary)}</script>
<script>${chartJs}</script>
<script>${pageJs}</script>
</body>
</html>
`;
}

/** Writes the report atomically: a reader never sees half a file, even if the run is killed. */
export async function writeHtmlReport(path: string, summary: Summary): Promise<number> {
  const html = renderHtmlReport(summary);
  await writeFileAtomic(path, html);
  return Buffer.byteLength(html);
}
