import { join } from "node:path";
import type { Alert } from "../../events/alert.js";
import type { Diagnostics, Labels } from "../../diagnostics.js";
import { errName } from "../../util/fs-errors.js";
import { sleep } from "../../util/sleep.js";
import type { Sink } from "../sink.js";
import { formatSlack } from "../slack-format.js";
import { Spool, type SpoolEntry } from "../spool.js";
import { DeadLetterFile, RESPONSE_BODY_LIMIT } from "./dead-letter.js";
import { idempotencyKey, parseEndpoint, signBody, type Endpoint } from "./endpoint.js";
import {
  DEFAULTS,
  resolveOptions,
  type ResolvedOptions,
  type WebhookCloseOptions,
  type WebhookSinkOptions,
} from "./options.js";
import { backoffDelay, classify, networkOutcome, type Outcome } from "./outcome.js";

export { RESPONSE_BODY_LIMIT } from "./dead-letter.js";
export { idempotencyKey, redactUrl, signBody } from "./endpoint.js";
export type { WebhookCloseOptions, WebhookSinkOptions } from "./options.js";
export { backoffDelay, classify, parseRetryAfter, type Outcome } from "./outcome.js";

/**
 * Posts each alert to an HTTP endpoint, durably and in order.
 *
 * `write` only appends the alert to an on-disk spool and returns; one background loop sends the
 * spool's entries strictly one at a time, oldest first, so the endpoint sees alerts in the order
 * they were raised even across outages and restarts. A failed send (network error, timeout, 5xx,
 * 408, 429) is retried with exponential backoff and full jitter, or after `Retry-After`; the entry
 * stays at the head of the spool meanwhile. A refusal (any other 4xx, or a 3xx) is final: the alert
 * goes to the dead-letter file and the loop moves on. `classify` decides which is which.
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
  /** Names this webhook's spool subdirectory; a hash of the URL, reveals none of it. */
  readonly id: string;
  /** The `webhook` label of its metrics: `scheme://host[:port]` unless the options name one. */
  readonly label: string;
  private readonly endpoint: Endpoint;
  private readonly opts: ResolvedOptions;
  private readonly diagnostics: Diagnostics;
  private readonly labels: Labels;
  private readonly spool: Spool;
  private readonly deadLetters: DeadLetterFile;
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
    this.endpoint = parseEndpoint(options.url);
    this.opts = resolveOptions(options, this.endpoint.shown);
    this.diagnostics = options.diagnostics;
    this.deadLetters = new DeadLetterFile(this.opts.deadLetterFile);
    this.id = this.endpoint.id;
    this.label = options.label ?? this.endpoint.origin;
    this.labels = { webhook: this.label };
    this.spool = new Spool({
      dir: join(this.opts.spoolDir, this.id),
      diagnostics: this.diagnostics,
      maxEntries: options.spoolMaxEntries,
      maxBytes: options.spoolMaxBytes,
      labels: this.labels,
      name: `${this.id} (webhook ${this.shownUrl})`,
    });
    // Started here so that entries a previous run left in the spool go out before any new alert.
    this.loop = this.run();
  }

  private get shownUrl(): string {
    return this.endpoint.shown;
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
          await this.sleep(backoffDelay(readFailures++, this.opts.backoffBaseMs, this.opts.backoffCapMs));
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
        await this.sleep(this.opts.backoffCapMs);
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
      const { outcome, responseBody } = await this.post(body, entry.id);
      if (outcome.kind === "ok") {
        await this.spool.ack(entry.seq);
        this.count("ok");
        this.noteSuccess();
        return;
      }
      if (outcome.kind === "reject") {
        await this.deadLetter(entry, alert, outcome.status, responseBody, outcome.reason);
        this.count("rejected");
        return;
      }
      // Aborted by `close`: the entry stays queued; that is not the endpoint's failure.
      if (this.stopping) return;
      this.noteFailure(outcome.reason);
      if (attempt >= this.opts.maxRetries) {
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
          ? Math.min(outcome.retryAfterMs, this.opts.retryAfterCapMs)
          : backoffDelay(attempt, this.opts.backoffBaseMs, this.opts.backoffCapMs);
      await this.sleep(wait);
    }
  }

  /** The exact request body: the stored alert JSON as is, or its Slack rendering. */
  private render(stored: string, alert: Alert): string | undefined {
    if (this.opts.format === "json") return stored;
    try {
      return JSON.stringify(formatSlack(alert));
    } catch {
      return undefined;
    }
  }

  private async post(body: string, key: string): Promise<{ outcome: Outcome; responseBody: string }> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "idempotency-key": key,
      "user-agent": "scanwatch",
    };
    if (this.opts.secret !== undefined) headers["x-scanwatch-signature"] = signBody(body, this.opts.secret);
    if (this.endpoint.authorization !== undefined) headers["authorization"] = this.endpoint.authorization;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = AbortSignal.any([timeout, this.stop.signal]);
    let res: Response;
    try {
      res = await fetch(this.endpoint.url, { method: "POST", headers, body, signal, redirect: "manual" });
    } catch (err) {
      return { outcome: networkOutcome(err, timeout.aborted, this.opts.timeoutMs), responseBody: "" };
    }
    const outcome = classify(res.status, res.headers, Date.now());
    // Read (a bounded part of) every body, so the connection can be reused or closed.
    const responseBody = await readPrefix(res, RESPONSE_BODY_LIMIT);
    return { outcome, responseBody };
  }

  private async deadLetter(
    entry: SpoolEntry,
    alert: Alert | null,
    status: number,
    responseBody: string,
    reason: string,
  ): Promise<void> {
    const where = await this.deadLetters.keep({
      alert,
      status,
      responseBody,
      at: new Date().toISOString(),
      reason,
    });
    this.diagnostics.report(
      "error",
      "webhook_dead_letter",
      `webhook ${this.shownUrl}: alert ${alert?.id ?? entry.id} not delivered (${reason}); ${where}`,
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
    return sleep(ms, this.stop.signal, { unref: true });
  }
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
