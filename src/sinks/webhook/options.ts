import type { Diagnostics } from "../../diagnostics.js";

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
  /**
   * The `webhook` label of this sink's metrics. Default: the URL's `scheme://host[:port]`; give
   * one when two webhooks share a host.
   */
  label?: string;
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

export const DEFAULTS = {
  timeoutMs: 5000,
  maxRetries: Infinity,
  backoffBaseMs: 500,
  backoffCapMs: 60_000,
  retryAfterCapMs: 600_000,
  drainMs: 3000,
};

/** The options with defaults filled in, checked. */
export interface ResolvedOptions {
  secret: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  retryAfterCapMs: number;
  format: "json" | "slack";
  spoolDir: string;
  deadLetterFile: string | undefined;
}

/** Checks `options` eagerly; a bad one throws an error with code ERR_WEBHOOK_OPTION naming it. */
export function resolveOptions(options: WebhookSinkOptions, shownUrl: string): ResolvedOptions {
  if (options.secret !== undefined && (typeof options.secret !== "string" || options.secret === "")) {
    throw optionError(`webhook ${shownUrl}: "secret" is empty; leave it unset to send unsigned requests`);
  }
  const maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
  if (!(maxRetries === Infinity || (Number.isInteger(maxRetries) && maxRetries >= 0))) {
    throw optionError(
      `webhook ${shownUrl}: "maxRetries" must be a non-negative integer or Infinity, got ${maxRetries}`,
    );
  }
  const ms = (name: keyof typeof DEFAULTS, v: number | undefined) =>
    positive(shownUrl, name, v ?? DEFAULTS[name]);
  const backoffBaseMs = ms("backoffBaseMs", options.backoffBaseMs);
  const backoffCapMs = ms("backoffCapMs", options.backoffCapMs);
  if (backoffCapMs < backoffBaseMs) {
    throw optionError(`webhook ${shownUrl}: "backoffCapMs" must be at least "backoffBaseMs"`);
  }
  const format = options.format ?? "json";
  if (format !== "json" && format !== "slack") {
    throw optionError(`webhook ${shownUrl}: "format" must be "json" or "slack", got ${String(format)}`);
  }
  if (typeof options.spoolDir !== "string" || options.spoolDir === "") {
    throw optionError(`webhook ${shownUrl}: "spoolDir" must be a directory path`);
  }
  return {
    secret: options.secret,
    timeoutMs: ms("timeoutMs", options.timeoutMs),
    maxRetries,
    backoffBaseMs,
    backoffCapMs,
    retryAfterCapMs: ms("retryAfterCapMs", options.retryAfterCapMs),
    format,
    spoolDir: options.spoolDir,
    deadLetterFile: options.deadLetterFile,
  };
}

function positive(shown: string, name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) {
    throw optionError(`webhook ${shown}: "${name}" must be a positive number of milliseconds, got ${v}`);
  }
  return v;
}

export function optionError(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_WEBHOOK_OPTION" });
}
