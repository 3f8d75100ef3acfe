/** What one POST came to, and so what the delivery loop does next. */
export type Outcome =
  /** 2xx: delivered, acknowledge the spool entry. */
  | { kind: "ok" }
  /** A final refusal: dead-letter the alert and move on. */
  | { kind: "reject"; status: number; reason: string }
  /** Try again later: after `retryAfterMs` when the endpoint said so, else with backoff. */
  | { kind: "retry"; reason: string; status: number | null; retryAfterMs?: number };

/** The headers `classify` reads (a fetch `Headers` fits). */
export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * What an HTTP status means for a delivery. Pure.
 * - 2xx: ok.
 * - 408, 429 and 5xx: retry (408 and 429 ask the client to come back; 5xx are the server's own
 *   faults), after `Retry-After` when it is given and readable.
 * - 3xx: refused. Redirects are not followed: a 302 would turn the POST into a GET elsewhere, and
 *   a signed alert sent to a host the operator did not name is not a delivery.
 * - any other 4xx (and anything else): refused by the endpoint.
 */
export function classify(status: number, headers: HeaderSource, nowMs: number): Outcome {
  if (status >= 200 && status < 300) return { kind: "ok" };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers.get("retry-after"), nowMs);
    return {
      kind: "retry",
      reason: `HTTP ${status}`,
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (status >= 300 && status < 400)
    return { kind: "reject", status, reason: `HTTP ${status}, redirected; configure the final URL` };
  return { kind: "reject", status, reason: `HTTP ${status}, refused by the endpoint` };
}

/** A request that got no status: the system error code behind it, or the timeout. */
export function networkOutcome(err: unknown, timedOut: boolean, timeoutMs: number): Outcome {
  return {
    kind: "retry",
    reason: timedOut ? `no response within ${timeoutMs} ms` : networkReason(err),
    status: null,
  };
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

/** The system error code behind a fetch failure (`ECONNREFUSED`, `ENOTFOUND`), never its message. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return code;
  return "network error";
}
