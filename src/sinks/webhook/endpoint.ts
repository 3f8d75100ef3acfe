import { createHash, createHmac } from "node:crypto";
import type { Alert } from "../../events/alert.js";
import { optionError } from "./options.js";

/** A webhook URL taken apart: what fetch is given, what logs may show, and what names it on disk. */
export interface Endpoint {
  /** The URL without userinfo, as fetch takes it. */
  url: string;
  /** `Basic …` when the URL carried userinfo. */
  authorization: string | undefined;
  /** The `redactUrl` form, for every message. */
  shown: string;
  /** A short, stable directory name; a one-way hash of the URL, so it reveals no token. */
  id: string;
  /** `scheme://host[:port]`: how metrics name it (no path, query or userinfo, where tokens live). */
  origin: string;
}

/** Parses and checks a webhook URL; throws ERR_WEBHOOK_OPTION naming the problem, never the URL. */
export function parseEndpoint(raw: unknown): Endpoint {
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
  return {
    url: u.href,
    authorization,
    shown,
    id: "webhook-" + createHash("sha256").update(u.href).digest("hex").slice(0, 16),
    origin: `${u.protocol}//${u.host}`,
  };
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
