import { UsageError } from "./usage-error.js";

const EXPECTED =
  `expected "memory", redis://[user:password@]HOST[:PORT][/DB] (rediss:// for TLS) ` +
  `or redis+cluster://[user:password@]HOST:PORT[,HOST:PORT...]`;

/**
 * Checks a store spec before anything connects: `memory`, or a redis:// / rediss:// URL with a
 * host, a port in 1-65535 and a numeric database. A bad one is a usage error naming where it came
 * from (`--store`, or REDIS_URL when no flag was given) and never showing a password.
 */
export function checkStoreSpec(spec: string, from: "--store" | "REDIS_URL"): void {
  if (spec === "memory") return;
  if (/^rediss?\+cluster:/i.test(spec)) return checkClusterSpec(spec, from);
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new UsageError(`${from}: ${shown(spec)} is not a URL; ${EXPECTED}`);
  }
  const fail = (why: string) => {
    u.password = u.password ? "***" : "";
    throw new UsageError(`${from}: ${u.href} ${why}; ${EXPECTED}`);
  };
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") fail(`is not a Redis URL`);
  if (u.hostname === "") fail("names no host");
  if (u.port !== "" && !(Number(u.port) >= 1 && Number(u.port) <= 65535)) fail("has no valid port");
  if (u.pathname !== "" && u.pathname !== "/" && !/^\/\d{1,5}$/.test(u.pathname))
    fail("names no numeric database");
  if (u.search !== "" || u.hash !== "") fail("has a query or fragment scanwatch does not read");
}

/** `redis+cluster://[user:password@]host:port[,host:port...]`: every seed names a host and a port. */
function checkClusterSpec(spec: string, from: string): void {
  const m = /^(rediss?\+cluster:\/\/)(?:([^@]*)@)?(.*)$/i.exec(spec)!;
  const creds = m[2] !== undefined ? `${m[2].replace(/:.*/, ":***")}@` : "";
  const seeds = m[3]!.replace(/\/$/, "");
  const shownUrl = `${m[1]}${creds}${seeds}`;
  if (seeds === "") throw new UsageError(`${from}: ${shownUrl} names no host; ${EXPECTED}`);
  for (const hp of seeds.split(",")) {
    const p = /^(?:\[[^\]]+\]|[^:/[\]]+):(\d{1,5})$/.exec(hp);
    if (!p || !(Number(p[1]) >= 1 && Number(p[1]) <= 65535))
      throw new UsageError(`${from}: ${shownUrl}: ${JSON.stringify(hp)} is not HOST:PORT; ${EXPECTED}`);
  }
}

/** A spec that did not parse as a URL, with anything that looks like credentials masked. */
function shown(spec: string): string {
  return JSON.stringify(spec.replace(/\/\/[^@/]*@/, "//***@"));
}
