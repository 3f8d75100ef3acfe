import { createHash, createHmac } from "node:crypto";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import type { Alert } from "../events/alert.js";
import type { Diagnostics, Labels } from "../diagnostics.js";
import type { Sink } from "./sink.js";
import { formatSlack } from "./slack-format.js";
import { Spool, type SpoolEntry } from "./spool.js";

export interface WebhookSinkOptions {
  /**
   * The endpoint, http or https. It may carry a token in its path, query or userinfo (Slack's
   * does): it is never written to diagnostics, only its `redactUrl` form. Userinfo is sent as
   * HTTP Basic authorization, since fetch refuses URLs that contain credentials.
   */
  url: string;
  /**
   * HMAC-SHA256 key for `X-Scanwatch-Signature`. Comes from the environment or a file, never from
   * a command-line flag (flags show in `ps`). Unset: requests are not signed.
   */
  secret?: string;
  /** Per request, headers and response body included, in ms. Default 5000. */
  timeoutMs?: number;
  /**
   * Retries of one alert before it goes to the dead-letter file. Default `Infinity`: the spool
   * holds alerts until the endpoint takes them, so an outage costs latency, not alerts.
   */
  maxRetries?: number;
  /** First retry waits up to this many ms; each further retry doubles it (full jitter). Default 500. */
  backoffBaseMs?: number;
  /** Longest wait between retries, in ms. Default 60 000. */
  backoffCapMs?: number;
  /** Longest wait a `Retry-After` header can impose, in ms. Default 600 000. */
  retryAfterCapMs?: number;
  /** Parent of the spool: this webhook queues in its own subdirectory, named from a hash of the URL. */
  spoolDir: string;
  /** Spool bound in entries. Default 10 000. */
  spoolMaxEntries?: number;
  /** Spool bound in bytes. Default 50 MiB. */
  spoolMaxBytes?: number;
  /** `json`: the alert as is. `slack`: a Slack incoming-webhook message. Default `json`. */
  format?: "json" | "slack";
  /**
   * NDJSON file for alerts the endpoint refused (a 4xx other than 408/429, or a redirect) or
   * that ran out of retries: `{alert, status, responseBody, at}`. Unset: they are reported and dropped.
   */
  deadLetterFile?: string;
  diagnostics: Diagnostics;
}

export interface WebhookCloseOptions {
  /** How long `close` keeps delivering before it leaves the rest in the spool, in ms. Default 3000. */
  drainMs?: number;
}

/** Response bytes kept in a dead-letter record: enough for an error message, not for a whole page. */
export const RESPONSE_BODY_LIMIT = 2048;

const DEFAULTS = {
  timeoutMs: 5000,
  maxRetries: Infinity,
  backoffBaseMs: 500,
  backoffCapMs: 60_000,
  retryAfterCapMs: 600_000,
  drainMs: 3000,
};

type Outcome =
  | { kind: "ok" }
  | { kind: "reject"; status: number; body: string }
  | { kind: "retry"; reason: string; status: number | null; retryAfterMs?: number };

/**
 * Posts each alert to an HTTP endpoint, durably and in order.
 *
 * `write` only appends the alert to an on-disk spool and returns; one background loop sends the
 * spool's entries strictly one at a time, oldest first, so the endpoint sees alerts in the order
 * they were raised even across outages and restarts. A failed send (network error, timeout, 5xx,
 * 408, 429) is retried with exponential backoff and full jitter, or after `Retry-After`; the entry
 * stays at the head of the spool meanwhile. A refusal (any other 4xx, or a 3xx) is final: the alert
 * goes to the dead-letter file and the loop moves on.
 *
 * Delivery is at least once. An entry is acknowledged only after a 2xx, so a crash or a timeout
 * after the endpoint acted re-sends it; the `Idempotency-Key` header lets the endpoint drop the
 * repeat. Nothing here throws into the pipeline: faults are counted and reported, with the URL
 * always in its `redactUrl` form.
 *
 * The loop's timers do not keep the process alive on their own: call `close` to deliver what is
 * queued before exit.
 */
export class WebhookSink implements Sink {
  readonly name = "webhook";
  /** Names this webhook's spool subdirectory and labels its metrics; derived from the URL, reveals none of it. */
  readonly id: string;
  private readonly url: string;
  private readonly shownUrl: string;
  private readonly authorization: string | undefined;
  private readonly secret: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;
  private readonly retryAfterCapMs: number;
  private readonly format: "json" | "slack";
  private readonly deadLetterFile: string | undefined;
  private readonly diagnostics: Diagnostics;
  private readonly labels: Labels;
  private readonly spool: Spool;
  private readonly stop = new AbortController();
  private readonly loop: Promise<void>;
  private lastWrite: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  // Set by `write` so an entry enqueued while the loop was looking at an empty spool is not missed.
  private kicked = false;
  private wake: (() => void) | undefined;
  private drainWaiters: (() => void)[] = [];
  private failedAttempts = 0;

  constructor(options: WebhookSinkOptions) {
    const target = parseEndpoint(options.url);
    this.url = target.url;
    this.authorization = target.authorization;
    this.shownUrl = redactUrl(options.url);
    if (options.secret !== undefined && (typeof options.secret !== "string" || options.secret === "")) {
      throw optionError(
        `webhook ${this.shownUrl}: "secret" is empty; leave it unset to send unsigned requests`,
      );
    }
    this.secret = options.secret;
    this.timeoutMs = positive(this.shownUrl, "timeoutMs", options.timeoutMs ?? DEFAULTS.timeoutMs);
    this.maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
    if (!(this.maxRetries === Infinity || (Number.isInteger(this.maxRetries) && this.maxRetries >= 0))) {
      throw optionError(
        `webhook ${this.shownUrl}: "maxRetries" must be a non-negative integer or Infinity, got ${this.maxRetries}`,
      );
    }
    this.backoffBaseMs = positive(
      this.shownUrl,
      "backoffBaseMs",
      options.backoffBaseMs ?? DEFAULTS.backoffBaseMs,
    );
    this.backoffCapMs = positive(
      this.shownUrl,
      "backoffCapMs",
      options.backoffCapMs ?? DEFAULTS.backoffCapMs,
    );
    if (this.backoffCapMs < this.backoffBaseMs) {
      throw optionError(`webhook ${this.shownUrl}: "backoffCapMs" must be at least "backoffBaseMs"`);
    }
    this.retryAfterCapMs = positive(
      this.shownUrl,
      "retryAfterCapMs",
      options.retryAfterCapMs ?? DEFAULTS.retryAfterCapMs,
    );
    const format = options.format ?? "json";
    if (format !== "json" && format !== "slack") {
      throw optionError(
        `webhook ${this.shownUrl}: "format" must be "json" or "slack", got ${String(format)}`,
      );
    }
    this.format = format;
    if (typeof options.spoolDir !== "string" || options.spoolDir === "") {
      throw optionError(`webhook ${this.shownUrl}: "spoolDir" must be a directory path`);
    }
    this.deadLetterFile = options.deadLetterFile;
    this.diagnostics = options.diagnostics;
    this.id = webhookId(this.url);
    this.labels = { webhook: this.id };
    this.spool = new Spool({
      dir: join(options.spoolDir, this.id),
      diagnostics: this.diagnostics,
      maxEntries: options.spoolMaxEntries,
      maxBytes: options.spoolMaxBytes,
      labels: this.labels,
      name: `${this.id} (webhook ${this.shownUrl})`,
    });
    // Started here so that entries a previous run left in the spool go out before any new alert.
    this.loop = this.run();
  }

  /** Alerts queued and not yet delivered. */
  pending(): number {
    return this.spool.depth();
  }

  /**
   * Queues the alert on disk and resolves; delivery happens in the background. A full spool or a
   * disk fault drops the alert with a report (see `Spool`); it never throws. After `close`, alerts
   * are still queued, for the next start to deliver.
   */
  write(alert: Alert): Promise<void> {
    const queued = this.spool.enqueue(JSON.stringify(alert), idempotencyKey(alert)).then((ok) => {
      if (!ok) return;
      this.kicked = true;
      this.wake?.();
    });
    this.lastWrite = queued;
    return queued;
  }

  /**
   * Keeps delivering until the spool is empty or `drainMs` has passed, then stops the loop,
   * aborting a request in flight. What is left stays in the spool for the next start.
   */
  close(options: WebhookCloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.drainMs ?? DEFAULTS.drainMs);
    return this.closing;
  }

  private async shutdown(drainMs: number): Promise<void> {
    await this.lastWrite;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.drained(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainMs);
      }),
    ]);
    clearTimeout(timer);
    this.stop.abort();
    this.wake?.();
    await this.loop;
    const left = this.spool.depth();
    if (left > 0) {
      this.diagnostics.report(
        "info",
        "webhook_pending",
        `webhook ${this.shownUrl}: ${left} alerts stay in spool ${this.spool.dir} and are delivered on the next start`,
      );
    }
  }

  private drained(): Promise<void> {
    if (this.spool.depth() === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private get stopping(): boolean {
    return this.stop.signal.aborted;
  }

  private async run(): Promise<void> {
    await this.spool.open();
    let readFailures = 0;
    while (!this.stopping) {
      try {
        this.kicked = false;
        const entry = await this.spool.peek();
        if (entry) {
          readFailures = 0;
          await this.deliver(entry);
          continue;
        }
        if (this.kicked) continue;
        if (this.spool.depth() > 0) {
          // The head exists but could not be read (reported by the spool): wait, then try again.
          await this.sleep(backoffDelay(readFailures++, this.backoffBaseMs, this.backoffCapMs));
          continue;
        }
        this.notifyDrained();
        // `close` may have stopped the loop while it was reading the spool; nothing would wake it.
        if (this.stopping) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
      } catch (err) {
        // Every step above handles its own faults; reaching here is a bug. Keep the loop alive.
        this.diagnostics.report(
          "error",
          "webhook_loop_error",
          `webhook ${this.shownUrl}: delivery loop fault (${errName(err)}); retrying`,
        );
        await this.sleep(this.backoffCapMs);
      }
    }
  }

  private notifyDrained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private async deliver(entry: SpoolEntry): Promise<void> {
    const alert = parseStoredAlert(entry.body);
    const body = alert && this.render(entry.body, alert);
    if (alert === undefined || body === undefined) {
      await this.deadLetter(entry, alert ?? null, 0, "", "spool entry is not an alert");
      this.count("rejected");
      return;
    }
    for (let attempt = 0; !this.stopping; attempt++) {
      if (attempt > 0) this.diagnostics.count("scanwatch_webhook_retries_total", this.labels);
      const outcome = await this.post(body, entry.id);
      if (outcome.kind === "ok") {
        await this.spool.ack(entry.seq);
        this.count("ok");
        this.noteSuccess();
        return;
      }
      if (outcome.kind === "reject") {
        const why = outcome.status < 400 ? "redirected; configure the final URL" : "refused by the endpoint";
        await this.deadLetter(entry, alert, outcome.status, outcome.body, `HTTP ${outcome.status}, ${why}`);
        this.count("rejected");
        return;
      }
      // Aborted by `close`: the entry stays queued; that is not the endpoint's failure.
      if (this.stopping) return;
      this.noteFailure(outcome.reason);
      if (attempt >= this.maxRetries) {
        await this.deadLetter(
          entry,
          alert,
          outcome.status ?? 0,
          "",
          `gave up after ${attempt} retries (${outcome.reason})`,
        );
        this.count("expired");
        return;
      }
      const wait =
        outcome.retryAfterMs !== undefined
          ? Math.min(outcome.retryAfterMs, this.retryAfterCapMs)
          : backoffDelay(attempt, this.backoffBaseMs, this.backoffCapMs);
      await this.sleep(wait);
    }
  }

  /** The exact request body: the stored alert JSON as is, or its Slack rendering. */
  private render(stored: string, alert: Alert): string | undefined {
    if (this.format === "json") return stored;
    try {
      return JSON.stringify(formatSlack(alert));
    } catch {
      return undefined;
    }
  }

  private async post(body: string, key: string): Promise<Outcome> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "idempotency-key": key,
      "user-agent": "scanwatch",
    };
    if (this.secret !== undefined) headers["x-scanwatch-signature"] = signBody(body, this.secret);
    if (this.authorization !== undefined) headers["authorization"] = this.authorization;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([timeout, this.stop.signal]);
    let res: Response;
    try {
      // Redirects are not followed: a 302 would turn the POST into a GET elsewhere, and a signed
      // alert sent to a host the operator did not name is not a delivery.
      res = await fetch(this.url, { method: "POST", headers, body, signal, redirect: "manual" });
    } catch (err) {
      const reason = timeout.aborted ? `no response within ${this.timeoutMs} ms` : networkReason(err);
      return { kind: "retry", reason, status: null };
    }
    const status = res.status;
    if (status >= 200 && status < 300) {
      await readPrefix(res, RESPONSE_BODY_LIMIT);
      return { kind: "ok" };
    }
    if (isRetryable(status)) {
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), Date.now());
      await readPrefix(res, RESPONSE_BODY_LIMIT);
      return { kind: "retry", reason: `HTTP ${status}`, status, retryAfterMs };
    }
    return { kind: "reject", status, body: await readPrefix(res, RESPONSE_BODY_LIMIT) };
  }

  private async deadLetter(
    entry: SpoolEntry,
    alert: Alert | null,
    status: number,
    responseBody: string,
    reason: string,
  ): Promise<void> {
    const alertId = alert?.id ?? entry.id;
    let where = "dropped (no dead-letter file configured)";
    if (this.deadLetterFile !== undefined) {
      const record = { alert, status, responseBody, at: new Date().toISOString(), reason };
      try {
        await appendFile(this.deadLetterFile, JSON.stringify(record) + "\n", "utf8");
        where = `written to ${this.deadLetterFile}`;
      } catch (err) {
        where = `lost: cannot append to ${this.deadLetterFile} (${errName(err)})`;
      }
    }
    this.diagnostics.report(
      "error",
      "webhook_dead_letter",
      `webhook ${this.shownUrl}: alert ${alertId} not delivered (${reason}); ${where}`,
    );
    // Acknowledged even when the dead-letter write failed: the endpoint gave its final answer, and
    // keeping the entry would block every alert behind it.
    await this.spool.ack(entry.seq);
  }

  private noteFailure(reason: string): void {
    this.failedAttempts++;
    if (this.failedAttempts > 1) return;
    this.diagnostics.report(
      "warn",
      "webhook_unavailable",
      `webhook ${this.shownUrl}: delivery failed (${reason}); retrying with backoff, ` +
        `${this.spool.depth()} alerts queued in the spool`,
    );
  }

  private noteSuccess(): void {
    if (this.failedAttempts === 0) return;
    this.diagnostics.report(
      "info",
      "webhook_recovered",
      `webhook ${this.shownUrl}: delivering again after ${this.failedAttempts} failed attempts`,
    );
    this.failedAttempts = 0;
  }

  private count(result: "ok" | "rejected" | "expired"): void {
    this.diagnostics.count("scanwatch_webhook_deliveries_total", { ...this.labels, result });
  }

  /** Waits `ms`, or less if `close` stops the loop. The timer does not hold the process open. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopping) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.stop.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.stop.signal.addEventListener("abort", done, { once: true });
    });
  }
}

/**
 * The URL with everything that may be a secret removed: `scheme://host[:port]/…`. Userinfo, path,
 * query and fragment all go, since webhook services put tokens in each (Slack in the path, others
 * in `?token=`). Use it for every message that names an endpoint.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "<invalid url>";
  }
  const hidden = u.pathname !== "/" || u.search !== "" || u.hash !== "";
  return `${u.protocol}//${u.host}/${hidden ? "…" : ""}`;
}

/**
 * `<alert.id>:<status>:<severity>`: the same for every retry and restart of one alert message,
 * and different for the `new` alert of an incident and for each `update` that changes its
 * severity. An endpoint that keeps the keys it has seen can drop re-sends without dropping news.
 * This makes it unique per alert message as long as an incident's updates each change its
 * severity; two updates at the same severity share a key, and an endpoint that dedupes strictly on
 * it keeps only the first of them.
 */
export function idempotencyKey(alert: Pick<Alert, "id" | "status" | "severity">): string {
  return `${alert.id}:${alert.status}:${alert.severity}`;
}

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`: the value of `X-Scanwatch-Signature`. */
export function signBody(body: string, secret: string): string {
  return "sha256=" + createHmac("sha256", secret).update(body, "utf8").digest("hex");
}

/**
 * Full-jitter exponential backoff: a uniform wait in [0, min(cap, base·2^attempt)). Spreading
 * retries over the whole interval keeps many scanwatch instances from hitting a recovering
 * endpoint in lockstep. `attempt` counts from 0.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`; a date in the past is 0). `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Every HTTP-date form names the month; requiring a letter keeps Date.parse's leniency from
  // reading "1.5" as a date.
  if (!/[A-Za-z]/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** 408 and 429 ask the client to come back; 5xx are the server's own faults. */
function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A short, stable directory name for one endpoint; a one-way hash, so it reveals no token. */
function webhookId(url: string): string {
  return "webhook-" + createHash("sha256").update(url).digest("hex").slice(0, 16);
}

/** The URL fetch can take, plus Basic authorization when the URL carried userinfo. */
function parseEndpoint(raw: unknown): { url: string; authorization: string | undefined } {
  const shown = typeof raw === "string" ? redactUrl(raw) : "<not a string>";
  let u: URL;
  try {
    u = new URL(String(raw));
  } catch {
    throw optionError(`webhook: "url" must be an absolute http(s) URL, got ${shown}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw optionError(`webhook: "url" must use http or https, got ${shown}`);
  }
  let authorization: string | undefined;
  if (u.username !== "" || u.password !== "") {
    const pair = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
    authorization = "Basic " + Buffer.from(pair, "utf8").toString("base64");
    u.username = "";
    u.password = "";
  }
  return { url: u.href, authorization };
}

/** The alert stored in a spool entry, or `undefined` if the entry holds something else. */
function parseStoredAlert(body: string): Alert | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const r = v as Record<string, unknown>;
  // The spool holds what `write` put there; this guards against a hand-edited or foreign file.
  if (typeof r.id !== "string" || typeof r.status !== "string" || !Array.isArray(r.evidence))
    return undefined;
  return v as Alert;
}

/** Up to `limit` bytes of the body as text; the rest is discarded so the connection can be reused or closed. */
async function readPrefix(res: Response, limit: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    while (n < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.byteLength;
    }
  } catch {
    // A body cut off by the timeout or the peer: keep what arrived.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}

/** The system error code behind a fetch failure (`ECONNREFUSED`, `ENOTFOUND`), never its message. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return code;
  return "network error";
}

/** The error's code or class name: messages of network and fs errors may quote URLs or paths with tokens. */
function errName(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return code;
  return err instanceof Error ? err.name : "unknown error";
}

function positive(shown: string, name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) {
    throw optionError(`webhook ${shown}: "${name}" must be a positive number of milliseconds, got ${v}`);
  }
  return v;
}

function optionError(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_WEBHOOK_OPTION" });
}
