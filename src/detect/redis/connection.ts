import { Cluster, Redis } from "ioredis";

export type StoreErrorCode =
  | "STORE_UNREACHABLE"
  | "STORE_ERROR"
  | "STORE_BAD_OPTION"
  | "STORE_UNSUPPORTED"
  | "STORE_BAD_DB"
  | "STORE_NOT_CLUSTER"
  | "STORE_IS_CLUSTER"
  | "STORE_OOM"
  | "STORE_READONLY";

/** A RedisStore failure; `code` is stable, the message names the URL (never its password) and the fix. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: StoreErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
  }
}

export interface Target {
  cluster: boolean;
  /** The URL without its password, as every message shows it. */
  displayUrl: string;
  /** Cluster seed nodes (the plain URL goes to ioredis as it is). */
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_SCHEMES = ["redis+cluster:", "rediss+cluster:"];

/**
 * Validates a store URL eagerly: `redis://` / `rediss://` (one server) or
 * `redis+cluster://[user:password@]host:port[,host:port...]` (a Cluster, seeds listed).
 */
export function parseTarget(url: string): Target {
  const scheme = /^[a-z+]+:/i.exec(url)?.[0].toLowerCase();
  if (scheme && CLUSTER_SCHEMES.includes(scheme)) return parseClusterUrl(url, scheme);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreError(`url: not a URL; expected redis://host:port/db`, "STORE_BAD_OPTION");
  }
  if (u.password) u.password = "";
  const shown = u.toString();
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new StoreError(
      `url ${shown}: expected redis://host:port/db, rediss://... or redis+cluster://host:port,host:port`,
      "STORE_BAD_OPTION",
    );
  }
  return { cluster: false, displayUrl: shown, nodes: [], tls: u.protocol === "rediss:" };
}

function parseClusterUrl(url: string, scheme: string): Target {
  let rest = url.slice(scheme.length).replace(/^\/\//, "");
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(":");
    username = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : auth) || undefined;
    password = colon >= 0 ? decodeURIComponent(auth.slice(colon + 1)) : undefined;
  }
  const hostsPart = rest.replace(/\/$/, "");
  const shown = `${scheme}//${username ? `${username}@` : ""}${hostsPart}`;
  if (hostsPart.includes("/")) {
    throw new StoreError(
      `url ${shown}: a Cluster has only database 0; drop the /db part`,
      "STORE_BAD_OPTION",
    );
  }
  const nodes = hostsPart.split(",").map((hp) => {
    const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(hp);
    const port = Number(m?.[2]);
    if (!m || !(port >= 1 && port <= 65535)) {
      throw new StoreError(
        `url ${shown}: ${JSON.stringify(hp)} is not host:port; expected redis+cluster://host:port[,host:port...]`,
        "STORE_BAD_OPTION",
      );
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
  });
  return { cluster: true, displayUrl: shown, nodes, username, password, tls: scheme === "rediss+cluster:" };
}

export interface ClientOptions {
  connectTimeout: number;
  commandTimeout: number;
  /** Whether to reconnect now (false before the first successful connect: fail fast). */
  retry: () => boolean;
}

/**
 * The ioredis client for a target. Why each option is set as it is:
 * - `lazyConnect`: nothing happens until `connect()` or the first call, which then fails with
 *   `STORE_UNREACHABLE` (naming the URL and the fix) instead of retrying forever.
 * - `enableOfflineQueue: false` and `autoResendUnfulfilledCommands: false`: while the link is
 *   down a call fails at once instead of queueing without bound, and a batch whose reply was lost
 *   is not resent, because resending a non-idempotent update could count events twice (a false
 *   alert) whereas a failed batch is visible to the caller, which may retry or drop it. A failed
 *   batch may still have been applied (it reached Redis, its reply did not come back).
 * - `maxRetriesPerRequest: 0`: with auto-resend off, ioredis would otherwise keep the commands in
 *   flight at a disconnect unsettled until `commandTimeout`; 0 rejects them as the link drops.
 * - `retryStrategy`: no retry before the first successful connect (fail fast at startup); after
 *   it, reconnect in the background with backoff capped at 2 s, reported through diagnostics.
 * - `commandTimeout`: a hung server fails the call instead of hanging ingestion.
 * - Cluster: no auto-pipelining; ioredis would put calls for different slots of one node in one
 *   pipeline, which a Cluster refuses. A batch's per-slot calls are sent concurrently instead.
 */
export function createClient(url: string, t: Target, o: ClientOptions): Redis | Cluster {
  const backoff = (times: number) => (o.retry() ? Math.min(times * 200, 2_000) : null);
  const common = {
    lazyConnect: true,
    connectTimeout: o.connectTimeout,
    commandTimeout: o.commandTimeout,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
  };
  if (!t.cluster) {
    return new Redis(url, { ...common, enableOfflineQueue: false, retryStrategy: backoff });
  }
  return new Cluster(t.nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: backoff,
    redisOptions: {
      ...common,
      username: t.username,
      password: t.password,
      tls: t.tls ? {} : undefined,
    },
  });
}

/**
 * Asks the first seed whether it runs in cluster mode, before a Cluster client is made for it:
 * against a plain server, ioredis would only report "Failed to refresh slots cache".
 */
export async function probeClusterMode(t: Target, connectTimeout: number): Promise<boolean | undefined> {
  const seed = t.nodes[0]!;
  const r = new Redis({
    host: seed.host,
    port: seed.port,
    username: t.username,
    password: t.password,
    tls: t.tls ? {} : undefined,
    lazyConnect: true,
    connectTimeout,
    commandTimeout: connectTimeout,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on("error", () => undefined);
  try {
    await r.connect();
    const info = await r.info("cluster");
    const m = /cluster_enabled:(\d)/.exec(info);
    return m ? m[1] === "1" : undefined;
  } catch {
    return undefined; // unreachable: the Cluster client reports it, naming the URL
  } finally {
    r.disconnect();
  }
}

/** What Redis said when it refused a write, as a stable code and the fix. */
export function refusal(msg: string): { code: StoreErrorCode; reason: string; fix: string } | undefined {
  if (/^OOM\b|OOM command not allowed/.test(msg)) {
    return {
      code: "STORE_OOM",
      reason: "oom",
      fix: "Redis is out of memory (maxmemory reached and its policy evicts nothing): raise maxmemory, or free memory",
    };
  }
  if (/^READONLY\b|READONLY You can't write/.test(msg)) {
    return {
      code: "STORE_READONLY",
      reason: "readonly",
      fix: "the server is a read-only replica: point --store at the master",
    };
  }
  return undefined;
}
