import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/*
 * Opens HTML reports in Debian's chromium through playwright-core, for the browser tests, the
 * README screenshot and the open-time bench (one code path for all three). Playwright never
 * downloads a browser here: it drives /usr/bin/chromium, and fails loudly when that is missing.
 */

export const CHROMIUM = process.env.SCANWATCH_CHROMIUM ?? "/usr/bin/chromium";

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile and every background fetch of its own turned off. */
export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: the report's browser tests need Debian's chromium ` +
        "(apt-get install -y chromium; .ci/run installs it). They never skip.",
    );
  const profile = await mkdtemp(join(tmpdir(), "scanwatch-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    deviceScaleFactor: 1,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-gpu",
      "--no-first-run",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface OpenedReport {
  page: Page;
  /** Every request the page made, the report's own file:// URL included. */
  requests: string[];
  /** Requests that were stopped because they would have left the page. */
  blocked: string[];
  /** Page errors and console errors (a CSP violation is reported as one). */
  errors: string[];
  /** Milliseconds from navigation start until the page said it had drawn everything. */
  openMs: number;
}

/**
 * Opens `path` and waits until the report has drawn. Every request other than the report itself
 * is recorded and aborted: a self-contained report makes none.
 */
export async function openReport(browser: Browser, path: string, timeoutMs = 30_000): Promise<OpenedReport> {
  const url = pathToFileURL(resolve(path)).href;
  const page = await browser.context.newPage();
  const requests: string[] = [];
  const blocked: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.route("**/*", async (route) => {
    if (route.request().url() === url) return route.continue();
    blocked.push(route.request().url());
    return route.abort();
  });
  await page.routeWebSocket(/.*/, (ws) => {
    blocked.push(ws.url());
    void ws.close();
  });
  await page.goto(url);
  // A selector, not a predicate: playwright evaluates a string predicate with eval() when it
  // has to poll, which the report's Content-Security-Policy (rightly) refuses.
  await page.waitForSelector('html[data-ready="true"], html[data-error]', {
    state: "attached",
    timeout: timeoutMs,
  });
  const html = page.locator("html");
  const error = await html.getAttribute("data-error");
  if (error !== null) errors.push(`report: ${error}`);
  const openMs = Number(await html.getAttribute("data-open-ms"));
  return { page, requests, blocked, errors, openMs };
}
