/** What /healthz looks at. */
export interface HealthInput {
  /** Redis is unreachable and the memory store stands in. */
  storeFallback: boolean;
  /** Alerts waiting in each webhook's spool (empty without webhooks). */
  spoolDepths: number[];
  /** Followed files that do not exist (waited for). */
  missingFiles: string[];
}

export interface Health {
  ok: boolean;
  /** `ok`, or `degraded`: running, but not seeing or delivering everything it should. */
  status: "ok" | "degraded";
  checks: { store: string; sinks: string; sources: string };
}

/** A webhook spool deeper than this is a backlog: the endpoint does not keep up or is down. */
export const SPOOL_BACKLOG = 1000;

/**
 * The agent's health, from its own counters. Pure. Any check that is not "ok" makes it degraded
 * (and /healthz answers 503): a followed file that is missing means attacks logged there are not
 * seen, which a supervisor should hear about as much as a Redis outage.
 */
export function healthOf(i: HealthInput): Health {
  const backlog = Math.max(0, ...i.spoolDepths);
  const checks = {
    store: i.storeFallback ? "fallback to memory (Redis unreachable)" : "ok",
    sinks: backlog > SPOOL_BACKLOG ? `webhook backlog (${backlog} alerts queued)` : "ok",
    sources: i.missingFiles.length ? `missing, waiting for: ${i.missingFiles.join(", ")}` : "ok",
  };
  const ok = checks.store === "ok" && checks.sinks === "ok" && checks.sources === "ok";
  return { ok, status: ok ? "ok" : "degraded", checks };
}
