import { UsageError } from "./usage-error.js";

const EXPECTED = `expected "memory" or redis://[user:password@]HOST[:PORT][/DB] (rediss:// for TLS)`;

/**
 * Checks a store spec before anything connects: `memory`, or a redis:// / rediss:// URL with a
 * host, a port in 1-65535 and a numeric database. A bad one is a usage error naming where it came
 * from (`--store`, or REDIS_URL when no flag was given) and never showing a password.
 */
export function checkStoreSpec(spec: string, from: "--store" | "REDIS_URL"): void {
  if (spec === "memory") return;
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

/** A spec that did not parse as a URL, with anything that looks like credentials masked. */
function shown(spec: string): string {
  return JSON.stringify(spec.replace(/\/\/[^@/]*@/, "//***@"));
}
