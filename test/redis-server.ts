import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A Redis for tests: a private `redis-server` on a free port (no persistence, loopback only), or
 * the server named by SCANWATCH_TEST_REDIS_URL. Tests never touch a Redis they did not ask for,
 * and never skip when there is none: they fail and say how to get one.
 */
export interface TestRedis {
  url: string;
  /** True when the server came from SCANWATCH_TEST_REDIS_URL (shared: use unique key prefixes). */
  external: boolean;
  stop(): Promise<void>;
}

export const TEST_REDIS_ENV = "SCANWATCH_TEST_REDIS_URL";

const HOW_TO_GET_REDIS =
  "install it (Debian/Ubuntu: `apt install redis-server`; macOS: `brew install redis`) so that " +
  `\`redis-server\` is on PATH, or set ${TEST_REDIS_ENV}=redis://host:port/db to use a Redis you already run`;

export async function startRedis(): Promise<TestRedis> {
  const external = process.env[TEST_REDIS_ENV];
  if (external) {
    const u = new URL(external);
    try {
      await waitForPing(u.hostname, Number(u.port || 6379), 5_000, () => undefined);
    } catch (e) {
      throw new Error(
        `${TEST_REDIS_ENV}=${u.host}: ${(e as Error).message}; start that server or unset the variable`,
        { cause: e },
      );
    }
    return { url: external, external: true, stop: async () => {} };
  }
  return startPrivateRedis();
}

/**
 * A private redis-server on a free port with `extra` arguments (e.g. `--maxmemory 1mb`,
 * `--replicaof`, `--cluster-enabled yes`).
 */
export async function startPrivateRedis(extra: string[] = []): Promise<TestRedis & { port: number }> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "scanwatch-redis-"));
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--daemonize",
      "no",
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
  child.stderr?.on("data", (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
  let exited: string | undefined;
  const spawnError = new Promise<never>((_, reject) => {
    child.once("error", (e: NodeJS.ErrnoException) => {
      reject(
        e.code === "ENOENT"
          ? new Error(`the Redis tests need redis-server, which is not on PATH: ${HOW_TO_GET_REDIS}`)
          : new Error(`cannot start redis-server: ${e.message}`),
      );
    });
  });
  child.once("exit", (code, signal) => (exited = `redis-server exited (${signal ?? code})`));
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      spawnError,
      waitForPing("127.0.0.1", port, 10_000, () => (exited ? `${exited}: ${output.trim()}` : undefined)),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `redis://127.0.0.1:${port}/0`, external: false, stop, port };
}

/**
 * A private 3-master Redis Cluster (no replicas) on free ports, made with
 * `redis-cli --cluster create`; resolves once `cluster info` says cluster_state:ok everywhere.
 * Its URL is `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`.
 */
export async function startRedisCluster(): Promise<TestRedis> {
  const nodes: (TestRedis & { port: number })[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await startPrivateRedis([
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
          "--cluster-node-timeout",
          "5000",
        ]),
      );
    }
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    await new Promise<void>((resolve, reject) => {
      const cli = spawn(
        "redis-cli",
        ["--cluster", "create", ...addrs, "--cluster-replicas", "0", "--cluster-yes"],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let out = "";
      cli.stdout.on("data", (b: Buffer) => (out += b.toString()));
      cli.stderr.on("data", (b: Buffer) => (out += b.toString()));
      cli.once("error", (e) => reject(new Error(`cannot run redis-cli (${e.message}): ${HOW_TO_GET_REDIS}`)));
      cli.once("exit", (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`redis-cli --cluster create failed (${code}): ${out.slice(-2000)}`)),
      );
    });
    const deadline = Date.now() + 20_000;
    for (const n of nodes) {
      for (;;) {
        const info = await command("127.0.0.1", n.port, "CLUSTER INFO");
        if (info.includes("cluster_state:ok")) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${n.port} not ok within 20 s: ${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { url: `redis+cluster://${addrs.join(",")}`, external: false, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One inline command on a fresh connection; resolves with the raw reply. */
function command(host: string, port: number, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port });
    let buf = "";
    sock.setTimeout(2_000, () => sock.destroy(new Error(`${cmd} timed out`)));
    sock.once("error", reject);
    sock.once("connect", () => sock.write(`${cmd}\r\n`));
    sock.on("data", (d) => {
      buf += d.toString();
      // A bulk reply: "$<len>\r\n<payload>\r\n".
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (!m || buf.length >= m[0].length + Number(m[1]) + 2 || buf.startsWith("-")) {
        sock.end();
        resolve(buf);
      }
    });
  });
}

/** A key prefix no other test (or test run sharing an external server) uses. */
export function uniquePrefix(label = "t"): string {
  return `scanwatch-test:${process.pid}:${randomBytes(4).toString("hex")}:${label}:`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A port nothing listens on (freshly freed), for "unreachable" tests. */
export const closedPort = freePort;

async function waitForPing(
  host: string,
  port: number,
  timeoutMs: number,
  failed: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const why = failed();
    if (why) throw new Error(why);
    try {
      if (await ping(host, port)) return;
      last = "unexpected reply to PING";
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`Redis at ${host}:${port} did not answer PING within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ping(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port });
    let buf = "";
    sock.setTimeout(1_000, () => sock.destroy(new Error("PING timed out")));
    sock.once("error", reject);
    sock.once("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) {
        sock.end();
        resolve(buf.startsWith("+PONG") || buf.startsWith("-NOAUTH")); // alive, wants a password
      }
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await gone;
  clearTimeout(timer);
}
