import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createConnection } from "node:net";
import { fileURLToPath } from "node:url";
import type { Alert } from "../../src/events/alert.js";
import type { TailEntry } from "../../src/sources/tail-state.js";
import { closedPort } from "../redis-server.js";

/*
 * Helpers for end-to-end tests of the `scanwatch tail` process: the real CLI (bin/scanwatch →
 * dist/), real files, real HTTP and a real redis-server. Everything waits on conditions with
 * deadlines; a timeout names what was awaited and shows the process's stderr.
 */

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = join(ROOT, "bin", "scanwatch");
const BUILT_ENTRY = join(ROOT, "dist", "cli", "main.js");

/** Fails with the fix when the compiled CLI the tests spawn is missing. */
export function assertBuilt(): void {
  if (!existsSync(BUILT_ENTRY)) {
    throw new Error(
      `e2e: ${BUILT_ENTRY} is missing. These tests run the compiled CLI (bin/scanwatch → dist/); ` +
        `run \`npm run build\` first (and again after every change under src/).`,
    );
  }
}

function fixtureLines(rel: string): string[] {
  const text = readFileSync(join(ROOT, "fixtures", "scenarios", rel), "utf8");
  return text.split("\n").filter((l) => l !== "");
}

/** The real half-open scan capture: nmap -sS of 200 ports from 198.51.100.126, 210 lines, one second. */
export const SYN_SCAN = fixtureLines("syn-scan/kern.log");
export const SCAN_SRC = "198.51.100.126";
/** The real hydra capture against sshd from 198.51.100.74, 158 lines. */
export const SSH_BRUTEFORCE = fixtureLines("ssh-bruteforce/auth.log");
export const SSH_SRC = "198.51.100.74";

/** The same capture as if sent by `src`: only the SRC= field changes. */
export function fromSource(lines: readonly string[], src: string): string[] {
  return lines.map((l) => l.replace(/ SRC=\S+ /, ` SRC=${src} `));
}

/**
 * `n` SYNs from 198.51.100.9 to port 80 of 203.0.113.21 as UFW logs them, 100 a second from
 * 09:41:17: 600 are below syn-flood's 1000 in 10 s, unless each is counted twice.
 */
export function ufwSynFlood(n: number): string[] {
  return Array.from(
    { length: n },
    (_, i) =>
      `Nov 28 09:41:${String(17 + Math.floor(i / 100)).padStart(2, "0")} web1 kernel: [272477.${String(i).padStart(6, "0")}] ` +
      `[UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.9 DST=203.0.113.21 LEN=60 TTL=58 ID=${1000 + i} PROTO=TCP ` +
      `SPT=${40000 + i} DPT=80 WINDOW=29200 RES=0x00 SYN URGP=0 `,
  );
}

/** SYN packets (connection attempts) among `lines`: what the tcp-scan detector counts as events. */
export function synCount(lines: readonly string[]): number {
  return lines.filter((l) => / SYN /.test(l) && !/ ACK /.test(l)).length;
}

/** Time data every run uses: the captures are from 2026-11-28 UTC and carry no year. */
export const TIME_ARGS = ["--tz", "UTC", "--year", "2026"];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `probe` every 20 ms until it returns something other than undefined/false, and returns
 * that. After `timeoutMs` it throws, naming `what` and adding `detail()` (e.g. stderr).
 */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 5000,
  detail: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : "";
      const more = detail();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${more ? `\n${more}` : ""}`);
    }
    await sleep(20);
  }
}

/** Appends whole lines in chunks of `chunk` lines, one appendFile (one write) per chunk. */
export async function appendLines(file: string, lines: readonly string[], chunk = 50): Promise<void> {
  for (let i = 0; i < lines.length; i += chunk) {
    await appendFile(file, lines.slice(i, i + chunk).join("\n") + "\n");
  }
}

export function lineCount(file: string): number {
  const text = readFileSync(file, "utf8");
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** A fresh temporary directory, removed by `removeTempDirs`. */
const dirs: string[] = [];
export async function tempDir(label: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `scanwatch-e2e-${label}-`));
  dirs.push(d);
  return d;
}
export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

// --- the state file ----------------------------------------------------------------------------

export function readState(path: string): Record<string, TailEntry> | undefined {
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as { files: Record<string, TailEntry> };
    return doc.files;
  } catch {
    return undefined;
  }
}

/**
 * Resolves when the saved state has every file of `files` at its current end (same inode, offset
 * = size): the process has read, processed and saved everything written so far.
 */
export async function waitStateAtEnd(
  statePath: string,
  files: readonly string[],
  what: string,
  timeoutMs = 5000,
  detail?: () => string,
): Promise<Record<string, TailEntry>> {
  return until(
    () => {
      const st = readState(statePath);
      if (!st) return undefined;
      for (const f of files) {
        const e = st[resolve(f)];
        const s = statSync(f, { bigint: true });
        if (!e || e.ino !== String(s.ino) || e.offset !== Number(s.size)) return undefined;
      }
      return st;
    },
    `${what}: state ${statePath} at the end of ${files.join(", ")}`,
    timeoutMs,
    () => `state: ${JSON.stringify(readState(statePath))}\n${detail?.() ?? ""}`,
  );
}

// --- the process -------------------------------------------------------------------------------

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<TailProcess>();

/** One `node bin/scanwatch ...` child with its stdout alerts and stderr collected. */
export class TailProcess {
  readonly child: ChildProcess;
  readonly startedAt = Date.now();
  stdout = "";
  stderr = "";
  /** Alerts parsed from NDJSON stdout, with the time each line arrived. */
  readonly alerts: { alert: Alert; at: number }[] = [];
  readonly exited: Promise<Exit>;
  private exitInfo: Exit | undefined;
  private metricsBase: string | undefined;

  private constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let pending = "";
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (s: string) => {
      this.stdout += s;
      pending += s;
      let nl: number;
      while ((nl = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!line.startsWith("{")) continue;
        try {
          this.alerts.push({ alert: JSON.parse(line) as Alert, at: Date.now() });
        } catch {
          // Not JSON: the test looks at `stdout` itself.
        }
      }
    });
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (s: string) => (this.stderr += s));
    this.exited = new Promise<Exit>((r) =>
      this.child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        running.delete(this);
        r(this.exitInfo);
      }),
    );
  }

  /**
   * Spawns `scanwatch ARGS`. The environment is the test's minus everything that could point the
   * child at shared resources: no REDIS_URL (the store is memory unless --store says otherwise),
   * no webhook secret, and STATE_DIRECTORY inside the test's temp dir.
   */
  static start(args: readonly string[], stateDir: string, extraEnv: NodeJS.ProcessEnv = {}): TailProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, STATE_DIRECTORY: stateDir, NO_COLOR: "1", ...extraEnv };
    delete env.REDIS_URL;
    delete env.SCANWATCH_WEBHOOK_SECRET;
    delete env.SCANWATCH_TEST_REDIS_URL;
    const p = new TailProcess(args, env);
    running.add(p);
    return p;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** stderr (and stdout tail) for failure messages. */
  describe(): string {
    return `--- scanwatch stderr ---\n${this.stderr}--- stdout (last 2000 chars) ---\n${this.stdout.slice(-2000)}`;
  }

  async waitStderr(re: RegExp, what: string, timeoutMs = 5000): Promise<RegExpMatchArray> {
    return until(
      () => {
        if (!this.alive && !re.test(this.stderr))
          throw new Error(`scanwatch exited (${JSON.stringify(this.exitInfo)})`);
        return this.stderr.match(re) ?? undefined;
      },
      what,
      timeoutMs,
      () => this.describe(),
    );
  }

  /**
   * Waits for "metrics on http://HOST:PORT/metrics". tail prints it right before it installs its
   * signal handlers, in the same synchronous run, so signals sent after this are handled.
   */
  async ready(timeoutMs = 10_000): Promise<this> {
    const m = await this.waitStderr(
      /metrics on (http:\/\/[^\s/]+)\/metrics/,
      "the metrics endpoint",
      timeoutMs,
    );
    this.metricsBase = m[1];
    return this;
  }

  async waitAlert(
    pred: (a: Alert) => boolean,
    what: string,
    timeoutMs = 5000,
  ): Promise<{ alert: Alert; at: number }> {
    return until(
      () => this.alerts.find((x) => pred(x.alert)),
      what,
      timeoutMs,
      () => this.describe(),
    );
  }

  private url(path: string): string {
    if (!this.metricsBase) throw new Error("call ready() first (and pass --metrics 127.0.0.1:0)");
    return this.metricsBase + path;
  }

  /** GET on the metrics server: status and body. */
  async fetchText(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(this.url(path));
    return { status: res.status, body: await res.text() };
  }

  async metrics(): Promise<Map<string, number>> {
    const { body } = await this.fetchText("/metrics");
    return parseMetrics(body);
  }

  /** The sum of every series of `name`. */
  async metric(name: string): Promise<number> {
    return sumOf(await this.metrics(), name);
  }

  linesRead(): Promise<number> {
    return this.metric("scanwatch_lines_read_total");
  }

  /** Lines that did not parse, other than the sshd messages the parser skips by design. */
  async unparsed(): Promise<number> {
    return unparsedOf(await this.metrics());
  }

  /**
   * Reads /metrics and sends SIGKILL in the very callback that receives the end of the response,
   * so the count returned is what the process had read when it died (up to a read landing in
   * that last millisecond). Returns the lines read and `unparsed()`.
   */
  killAfterScrape(): Promise<{ read: number; rejected: number }> {
    const url = this.url("/metrics");
    return new Promise((resolveCount, reject) => {
      get(url, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => {
          this.child.kill("SIGKILL");
          const m = parseMetrics(body);
          resolveCount({
            read: sumOf(m, "scanwatch_lines_read_total"),
            rejected: unparsedOf(m),
          });
        });
        res.on("error", reject);
      }).on("error", reject);
    });
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Waits for the exit; throws after `timeoutMs`. Returns the exit and how long it took. */
  async waitExit(timeoutMs: number): Promise<Exit & { ms: number }> {
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`scanwatch (pid ${this.pid}) did not exit within ${timeoutMs} ms\n${this.describe()}`),
          ),
        timeoutMs,
      );
    });
    try {
      const e = await Promise.race([this.exited, timeout]);
      return { ...e, ms: Date.now() - t0 };
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM and wait for the exit (at most 5 s, tail's own deadline). */
  async terminate(): Promise<Exit & { ms: number }> {
    this.signal("SIGTERM");
    return this.waitExit(5000);
  }
}

/** Kills every process a test left running. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (p) => {
      p.signal("SIGKILL");
      await p.exited;
    }),
  );
}

export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const sp = line.lastIndexOf(" ");
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/**
 * Rejected lines other than reason="sshd-ignored" (sshd messages with no detection value: 24 of
 * the ssh-bruteforce capture's 158 lines). A line cut or joined by the tail shows up here.
 */
function unparsedOf(m: Map<string, number>): number {
  return (
    sumOf(m, "scanwatch_lines_rejected_total") -
    sumOf(m, 'scanwatch_lines_rejected_total{reason="sshd-ignored"}')
  );
}

function sumOf(m: Map<string, number>, name: string): number {
  let n = 0;
  for (const [k, v] of m) if (k === name || k.startsWith(name + "{")) n += v;
  return n;
}

/** Does process `pid` hold `file` open? (Linux /proc: the follower has decided where to start.) */
export function holdsOpen(pid: number, file: string): boolean {
  const want = resolve(file);
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === want;
    } catch {
      return false;
    }
  });
}

export async function readJsonLines(file: string): Promise<unknown[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as unknown);
}

// --- a redis-server this test owns, to kill and bring back ----------------------------------

export interface KillableRedis {
  port: number;
  url: string;
  /** SIGKILL: the server vanishes without a goodbye, as in a crash. */
  kill(): Promise<void>;
  /**
   * Starts a new server on the same port: empty, or with everything written before the kill
   * when started with `persist` (an append-only file fsynced on every write).
   */
  restart(): Promise<void>;
}

const redises = new Set<ChildProcess>();

export async function startKillableRedis(
  dir: string,
  opts: { persist?: boolean } = {},
): Promise<KillableRedis> {
  const port = await closedPort();
  let child: ChildProcess | undefined;
  const aof = opts.persist ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  const launch = async () => {
    const c = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...aof, "--dir", dir],
      { stdio: "ignore" },
    );
    redises.add(c);
    c.once("exit", () => redises.delete(c));
    c.once("error", () => redises.delete(c));
    child = c;
    await until(() => ping(port), `redis-server on port ${port} to answer PING`, 10_000);
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    kill: async () => {
      const c = child!;
      if (c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await gone;
    },
    restart: launch,
  };
}

export async function killRedises(): Promise<void> {
  await Promise.all(
    [...redises].map(async (c) => {
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await gone;
    }),
  );
}

/** One RESP command to 127.0.0.1:`port`, the raw reply as text (false when nothing answers). */
export function redisCommand(port: number, ...args: string[]): Promise<string | false> {
  return new Promise((resolveReply) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    let buf = "";
    const done = (v: string | false) => {
      sock.destroy();
      resolveReply(v);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("error", () => done(false));
    sock.once("connect", () =>
      sock.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")),
    );
    // Enough for the short replies the tests ask for (PING, DBSIZE, SCAN of a few keys).
    sock.on("data", (d) => {
      buf += d.toString();
      setTimeout(() => done(buf), 20);
    });
  });
}

async function ping(port: number): Promise<boolean> {
  return (await redisCommand(port, "PING")) === "+PONG\r\n";
}
