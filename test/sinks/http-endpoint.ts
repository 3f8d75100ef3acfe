import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Alert } from "../../src/events/alert.js";

/** One request as the endpoint saw it. `alertId` is the body's `id` when the body is an alert. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  alertId: string | undefined;
  at: number;
}

/**
 * How the endpoint answers request number `n` (0-based). Not calling `res.end` leaves the request
 * hanging, as a stuck server would.
 */
export type Reply = (req: Received, n: number, res: ServerResponse) => void;

export const ok: Reply = (_req, _n, res) => {
  res.writeHead(200).end("ok");
};

/** A real HTTP server on 127.0.0.1 that records every request and answers through `reply`. */
export interface Endpoint {
  readonly port: number;
  readonly received: Received[];
  url(path?: string): string;
  stop(): Promise<void>;
}

export async function startEndpoint(reply: Reply = ok, port = 0): Promise<Endpoint> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const r: Received = { headers: req.headers, body, alertId: alertIdOf(body), at: Date.now() };
      received.push(r);
      reply(r, received.length - 1, res);
    });
  });
  await listen(server, port);
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    received,
    url: (path = "/hook") => `http://127.0.0.1:${bound}${path}`,
    stop: async () => {
      // Keep-alive sockets and hanging requests would otherwise hold `close` open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (until a test starts an endpoint on it): connections are refused. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

function alertIdOf(body: string): string | undefined {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string") {
      return (v as { id: string }).id;
    }
  } catch {
    // Not JSON: a test that sends such a body checks `body` itself.
  }
  return undefined;
}

/** Polls `cond` every 10 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A complete alert; `n` makes the id unique and orderable in assertions. */
export function makeAlert(n: number, over: Partial<Alert> = {}): Alert {
  return {
    schemaVersion: 1,
    id: `inc-${String(n).padStart(3, "0")}`,
    status: "new",
    type: "port-scan",
    technique: "syn",
    rule: "port-scan",
    severity: "high",
    confidence: 0.9,
    src: "203.0.113.5",
    distinctSources: 1,
    dst: "198.51.100.7",
    distinctHosts: 1,
    proto: "tcp",
    ports: [22, 23, 80, 443],
    distinctPorts: 4,
    events: 40,
    firstSeen: "2024-07-03T10:00:00.000Z",
    lastSeen: "2024-07-03T10:00:45.000Z",
    window: 60,
    host: "fw1",
    estimate: false,
    evidence: ["SYN to 4 ports in 45s"],
    samples: [{ file: "fixtures/fw.log", line: 1 }],
    ...over,
  };
}
