import { describe, expect, it } from "vitest";
import { classify, type Outcome } from "../../src/sinks/webhook/index.js";

/** What each HTTP answer means for a delivery, as a table. No server, no clock: `now` is given. */
const NOW = Date.parse("2026-11-28T16:00:00Z");
const headers = (h: Record<string, string> = {}) => new Headers(h);

const cases: [string, number, Record<string, string>, Outcome][] = [
  ["200", 200, {}, { kind: "ok" }],
  ["204 no content", 204, {}, { kind: "ok" }],
  ["202 accepted", 202, {}, { kind: "ok" }],
  ["500", 500, {}, { kind: "retry", reason: "HTTP 500", status: 500 }],
  [
    "503 with Retry-After seconds",
    503,
    { "retry-after": "120" },
    { kind: "retry", reason: "HTTP 503", status: 503, retryAfterMs: 120_000 },
  ],
  [
    "429 with Retry-After as an HTTP-date",
    429,
    { "retry-after": "Sat, 28 Nov 2026 16:00:30 GMT" },
    { kind: "retry", reason: "HTTP 429", status: 429, retryAfterMs: 30_000 },
  ],
  [
    "429 with a Retry-After in the past",
    429,
    { "retry-after": "Sat, 28 Nov 2026 15:00:00 GMT" },
    { kind: "retry", reason: "HTTP 429", status: 429, retryAfterMs: 0 },
  ],
  [
    "429 with an unreadable Retry-After backs off",
    429,
    { "retry-after": "1.5" },
    { kind: "retry", reason: "HTTP 429", status: 429 },
  ],
  ["408 request timeout", 408, {}, { kind: "retry", reason: "HTTP 408", status: 408 }],
  ["400", 400, {}, { kind: "reject", status: 400, reason: "HTTP 400, refused by the endpoint" }],
  ["401", 401, {}, { kind: "reject", status: 401, reason: "HTTP 401, refused by the endpoint" }],
  ["404", 404, {}, { kind: "reject", status: 404, reason: "HTTP 404, refused by the endpoint" }],
  ["413 too large", 413, {}, { kind: "reject", status: 413, reason: "HTTP 413, refused by the endpoint" }],
  [
    "302 is not followed",
    302,
    { location: "http://elsewhere/" },
    { kind: "reject", status: 302, reason: "HTTP 302, redirected; configure the final URL" },
  ],
  ["308", 308, {}, { kind: "reject", status: 308, reason: "HTTP 308, redirected; configure the final URL" }],
  [
    "a 1xx reaching us is not a delivery",
    101,
    {},
    { kind: "reject", status: 101, reason: "HTTP 101, refused by the endpoint" },
  ],
];

describe("webhook classify", () => {
  it.each(cases)("webhook-outcome/%s", (_name, status, h, want) => {
    expect(classify(status, headers(h), NOW)).toEqual(want);
  });
});
