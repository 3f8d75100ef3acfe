import { createHmac } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Diagnostics, type DiagnosticMessage } from "../../src/diagnostics.js";
import {
  backoffDelay,
  idempotencyKey,
  parseRetryAfter,
  redactUrl,
  WebhookSink,
  type WebhookSinkOptions,
} from "../../src/sinks/webhook/index.js";
import { freePort, makeAlert, ok, sleep, startEndpoint, waitFor, type Endpoint } from "./http-endpoint.js";

let dir: string;
let diagnostics: Diagnostics;
let messages: DiagnosticMessage[];
let sinks: WebhookSink[];
let endpoints: Endpoint[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "scanwatch-webhook-"));
  diagnostics = new Diagnostics();
  messages = [];
  diagnostics.onReport((m) => messages.push(m));
  sinks = [];
  endpoints = [];
});

afterEach(async () => {
  await Promise.all(sinks.map((s) => s.close({ drainMs: 0 })));
  await Promise.all(endpoints.map((e) => e.stop()));
  await rm(dir, { recursive: true, force: true });
});

/** A sink with test-sized backoff; every test closes it in afterEach. */
function makeSink(url: string, over: Partial<WebhookSinkOptions> = {}): WebhookSink {
  const sink = new WebhookSink({
    url,
    spoolDir: join(dir, "spool"),
    deadLetterFile: join(dir, "dead.ndjson"),
    backoffBaseMs: 10,
    backoffCapMs: 50,
    timeoutMs: 2000,
    diagnostics,
    ...over,
  });
  sinks.push(sink);
  return sink;
}

async function endpoint(...args: Parameters<typeof startEndpoint>): Promise<Endpoint> {
  const e = await startEndpoint(...args);
  endpoints.push(e);
  return e;
}

function deliveries(sink: WebhookSink, result: string): number {
  return diagnostics.get("scanwatch_webhook_deliveries_total", { webhook: sink.label, result });
}

function retries(sink: WebhookSink): number {
  return diagnostics.get("scanwatch_webhook_retries_total", { webhook: sink.label });
}

function codes(): string[] {
  return messages.map((m) => m.code);
}

describe("webhook", () => {
  it("webhook/delivers with headers and a verifiable signature", async () => {
    const e = await endpoint();
    const sink = makeSink(e.url(), { secret: "hmac-key" });
    const alert = makeAlert(1, { severity: "critical" });
    await sink.write(alert);
    await waitFor(() => deliveries(sink, "ok") === 1, "delivery");

    expect(e.received).toHaveLength(1);
    const [req] = e.received;
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.headers["user-agent"]).toBe("scanwatch");
    expect(req?.headers["idempotency-key"]).toBe("inc-001:new:critical");
    const expected =
      "sha256=" +
      createHmac("sha256", "hmac-key")
        .update(req?.body ?? "")
        .digest("hex");
    expect(req?.headers["x-scanwatch-signature"]).toBe(expected);
    expect(JSON.parse(req?.body ?? "")).toEqual(alert);
    expect(sink.pending()).toBe(0);
    expect(diagnostics.get("scanwatch_spool_depth", { webhook: sink.label })).toBe(0);
  });

  it("webhook/unsigned without a secret", async () => {
    const e = await endpoint();
    const sink = makeSink(e.url());
    await sink.write(makeAlert(1));
    await waitFor(() => e.received.length === 1, "request");
    expect(e.received[0]?.headers["x-scanwatch-signature"]).toBeUndefined();
  });

  it("webhook/slack format posts a signed text message", async () => {
    const e = await endpoint();
    const sink = makeSink(e.url(), { format: "slack", secret: "k" });
    await sink.write(makeAlert(1));
    await waitFor(() => e.received.length === 1, "request");
    const req = e.received[0];
    const body = JSON.parse(req?.body ?? "") as { text: string };
    expect(Object.keys(body)).toEqual(["text"]);
    expect(body.text).toContain("[HIGH]");
    expect(body.text).toContain("203.0.113.5 → 198.51.100.7");
    expect(req?.headers["x-scanwatch-signature"]).toBe(
      "sha256=" +
        createHmac("sha256", "k")
          .update(req?.body ?? "")
          .digest("hex"),
    );
  });

  it("webhook/500 twice then 200 delivers once", async () => {
    const e = await endpoint((_r, n, res) => res.writeHead(n < 2 ? 500 : 200).end());
    const sink = makeSink(e.url());
    await sink.write(makeAlert(1));
    await waitFor(() => deliveries(sink, "ok") === 1, "delivery");
    await sleep(100);

    expect(e.received).toHaveLength(3);
    expect(new Set(e.received.map((r) => r.headers["idempotency-key"]))).toEqual(
      new Set(["inc-001:new:high"]),
    );
    expect(new Set(e.received.map((r) => r.body)).size).toBe(1);
    expect(retries(sink)).toBe(2);
    expect(codes()).toContain("webhook_unavailable");
    expect(codes()).toContain("webhook_recovered");
  });

  it("webhook/429 with Retry-After is honoured", async () => {
    const e = await endpoint((_r, n, res) => {
      if (n === 0) res.writeHead(429, { "retry-after": "1" }).end();
      else res.writeHead(200).end();
    });
    const sink = makeSink(e.url());
    await sink.write(makeAlert(1));
    await waitFor(() => deliveries(sink, "ok") === 1, "delivery");

    const [first, second] = e.received;
    // Backoff alone would retry within 50 ms; the header asks for a full second.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(retries(sink)).toBe(1);
  });

  it("webhook/400 goes to the dead-letter file and is not retried", async () => {
    const e = await endpoint((r, _n, res) => {
      if (r.alertId === "inc-001") res.writeHead(400).end("bad payload: " + "x".repeat(5000));
      else res.writeHead(200).end();
    });
    const sink = makeSink(e.url());
    await sink.write(makeAlert(1));
    await sink.write(makeAlert(2));
    await waitFor(() => deliveries(sink, "ok") === 1, "second alert");
    await sleep(100);

    expect(e.received.map((r) => r.alertId)).toEqual(["inc-001", "inc-002"]);
    const lines = (await readFile(join(dir, "dead.ndjson"), "utf8")).trim().split("\n");
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(record.alert).toEqual(makeAlert(1));
    expect(record.status).toBe(400);
    expect(record.responseBody).toMatch(/^bad payload: x+$/);
    expect((record.responseBody as string).length).toBe(2048);
    expect(Number.isNaN(Date.parse(record.at as string))).toBe(false);
    expect(deliveries(sink, "rejected")).toBe(1);
    expect(retries(sink)).toBe(0);
    expect(codes()).toContain("webhook_dead_letter");
  });

  it("webhook/endpoint down then up delivers every alert once, in order", async () => {
    const port = await freePort();
    const sink = makeSink(`http://127.0.0.1:${port}/hook`);
    for (let i = 1; i <= 5; i++) await sink.write(makeAlert(i));
    await waitFor(() => retries(sink) >= 3, "retries while refused");
    expect(deliveries(sink, "ok")).toBe(0);

    const e = await endpoint(ok, port);
    await waitFor(() => deliveries(sink, "ok") === 5, "all deliveries");
    await sleep(100);
    expect(e.received.map((r) => r.alertId)).toEqual(["inc-001", "inc-002", "inc-003", "inc-004", "inc-005"]);
    expect(messages.find((m) => m.code === "webhook_unavailable")?.message).toContain("ECONNREFUSED");
  });

  it("webhook/timeout then recovery", async () => {
    // The first request is never answered, as a wedged endpoint would do.
    const e = await endpoint((_r, n, res) => {
      if (n > 0) res.writeHead(200).end();
    });
    const sink = makeSink(e.url(), { timeoutMs: 200 });
    await sink.write(makeAlert(1));
    await waitFor(() => deliveries(sink, "ok") === 1, "delivery after timeout");

    expect(e.received).toHaveLength(2);
    expect(e.received[1]?.headers["idempotency-key"]).toBe(e.received[0]?.headers["idempotency-key"]);
    expect((e.received[1]?.at ?? 0) - (e.received[0]?.at ?? 0)).toBeGreaterThanOrEqual(190);
    expect(retries(sink)).toBe(1);
    expect(messages.find((m) => m.code === "webhook_unavailable")?.message).toContain(
      "no response within 200 ms",
    );
  });

  it("webhook/restart delivers the spool of the previous run exactly once, in order", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    const first = makeSink(url);
    for (let i = 1; i <= 20; i++) await first.write(makeAlert(i));
    await first.close({ drainMs: 100 });
    expect(first.pending()).toBe(20);
    expect(codes()).toContain("webhook_pending");

    const second = makeSink(url);
    const e = await endpoint(ok, port);
    await waitFor(() => deliveries(second, "ok") === 20, "20 deliveries");
    await sleep(100);

    const expected = Array.from({ length: 20 }, (_, i) => makeAlert(i + 1).id);
    expect(e.received.map((r) => r.alertId)).toEqual(expected);
    await second.close();
    const left = await readdir(join(dir, "spool", second.id));
    expect(left).toEqual([]);
  });

  it("webhook/close drains what is queued", async () => {
    const e = await endpoint((_r, _n, res) => setTimeout(() => res.writeHead(200).end(), 20));
    const sink = makeSink(e.url());
    for (let i = 1; i <= 5; i++) await sink.write(makeAlert(i));
    await sink.close({ drainMs: 3000 });
    expect(e.received).toHaveLength(5);
    expect(sink.pending()).toBe(0);
  });

  it("webhook/full spool drops and reports once", async () => {
    const port = await freePort();
    const sink = makeSink(`http://127.0.0.1:${port}/hook`, { spoolMaxEntries: 3 });
    for (let i = 1; i <= 6; i++) await sink.write(makeAlert(i));

    expect(sink.pending()).toBe(3);
    expect(diagnostics.get("scanwatch_spool_dropped_total", { webhook: sink.label, reason: "full" })).toBe(3);
    expect(codes().filter((c) => c === "spool_full")).toHaveLength(1);
  });

  it("webhook/maxRetries sends the alert to the dead-letter file", async () => {
    const e = await endpoint((_r, _n, res) => res.writeHead(503).end());
    const sink = makeSink(e.url(), { maxRetries: 2 });
    await sink.write(makeAlert(1));
    await waitFor(() => deliveries(sink, "expired") === 1, "expiry");

    expect(e.received).toHaveLength(3);
    const record = JSON.parse(await readFile(join(dir, "dead.ndjson"), "utf8")) as Record<string, unknown>;
    expect(record.status).toBe(503);
    expect(sink.pending()).toBe(0);
  });

  it("webhook/each URL has its own spool", async () => {
    const a = makeSink("https://hooks.example/a");
    const b = makeSink("https://hooks.example/b");
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^webhook-[0-9a-f]{16}$/);
  });

  it("webhook/secrets never reach diagnostics", async () => {
    const port = await freePort();
    const sink = makeSink(`http://alice:pw-9f3k@127.0.0.1:${port}/T/B/XYZ123?token=q-7721`, {
      secret: "hmac-secret-55",
      maxRetries: 1,
    });
    await sink.write(makeAlert(1));
    await waitFor(() => deliveries(sink, "expired") === 1, "expiry");
    await sink.close({ drainMs: 0 });

    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      for (const secret of ["alice", "pw-9f3k", "XYZ123", "q-7721", "hmac-secret-55"]) {
        expect(m.message).not.toContain(secret);
      }
    }
    expect(messages.some((m) => m.message.includes(`http://127.0.0.1:${port}/…`))).toBe(true);
    // Metrics name the webhook by scheme://host, never its path, query or userinfo.
    const series = Object.keys({ ...diagnostics.snapshot().counters, ...diagnostics.snapshot().gauges });
    expect(series).toContain(
      `scanwatch_webhook_deliveries_total{result="expired",webhook="http://127.0.0.1:${port}"}`,
    );
    for (const k of series)
      for (const secret of ["alice", "pw-9f3k", "XYZ123", "q-7721", "hmac-secret-55"])
        expect(k).not.toContain(secret);
  });

  it("webhook/userinfo is sent as Basic authorization", async () => {
    const e = await endpoint();
    const sink = makeSink(`http://alice:pw-9f3k@127.0.0.1:${e.port}/hook`);
    await sink.write(makeAlert(1));
    await waitFor(() => e.received.length === 1, "request");
    expect(e.received[0]?.headers.authorization).toBe(
      "Basic " + Buffer.from("alice:pw-9f3k").toString("base64"),
    );
  });

  it.each([
    ["https://user:tok@hooks.example/T/B/XYZ?token=abc", "https://hooks.example/…"],
    ["https://hooks.example:8443/services/T0/B0/abc", "https://hooks.example:8443/…"],
    ["http://127.0.0.1:9000/", "http://127.0.0.1:9000/"],
    ["https://hooks.example/#frag", "https://hooks.example/…"],
    ["not a url with a tok3n", "<invalid url>"],
  ])("webhook/redactUrl %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it("webhook/invalid options name the option and hide the URL", () => {
    const url = "ftp://user:tok@hooks.example/secret";
    expect(() => makeSink(url)).toThrow(/"url" must use http or https, got ftp:\/\/hooks\.example\/…/);
    expect(() => makeSink("https://hooks.example/x", { secret: "" })).toThrow(/"secret" is empty/);
    expect(() => makeSink("https://hooks.example/x", { timeoutMs: 0 })).toThrow(/"timeoutMs"/);
  });

  it("webhook/idempotency key is stable per alert message", () => {
    expect(idempotencyKey(makeAlert(7))).toBe("inc-007:new:high");
    expect(idempotencyKey(makeAlert(7, { status: "update", severity: "critical" }))).toBe(
      "inc-007:update:critical",
    );
  });

  it.each([
    [0, 0.999, 9],
    [3, 0.999, 79],
    [20, 0.999, 99],
    [5, 0, 0],
  ])("webhook/backoff attempt %i with random %f waits %i ms", (attempt, r, ms) => {
    expect(backoffDelay(attempt, 10, 100, () => r)).toBe(ms);
  });

  it.each([
    ["1", 1000],
    [" 120 ", 120_000],
    ["Wed, 03 Jul 2024 10:00:30 GMT", 30_000],
    ["Wed, 03 Jul 2024 09:00:00 GMT", 0],
    ["1.5", undefined],
    ["soon", undefined],
  ])("webhook/Retry-After %s", (value, ms) => {
    expect(parseRetryAfter(value, Date.parse("2024-07-03T10:00:00Z"))).toBe(ms);
  });
});
