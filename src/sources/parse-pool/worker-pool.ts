import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { FromWorker, JobMessage } from "./messages.js";

export type JobSpec = Omit<JobMessage, "type" | "job">;

/** A parse worker failed (threw, or exited) while it had a job: the run cannot be complete. */
export class ParseWorkerError extends Error {
  readonly code = "PARSE_WORKER_FAILED";
}

/**
 * The messages of one job, in the order the worker posted them. `next` waits for the next one;
 * it rejects with a ParseWorkerError when the worker died first.
 */
export class JobHandle {
  private readonly queue: FromWorker[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  worker: Worker | undefined;
  /** The job has not started for lack of a free worker. */
  waitingForWorker = true;
  /** Called as soon as the worker says its parser holds sshd context (before the message is read). */
  onDirty: (() => void) | undefined;

  constructor(
    readonly id: number,
    readonly spec: JobSpec,
    private readonly pool: WorkerPool,
  ) {}

  push(m: FromWorker): void {
    if (m.type === "dirty") this.onDirty?.();
    this.queue.push(m);
    this.wake?.();
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  async next(): Promise<FromWorker> {
    for (;;) {
      const m = this.queue.shift();
      if (m) return m;
      if (this.failure) throw this.failure;
      // Whoever needs this job's output now must not wait behind jobs stalled on their windows.
      if (this.waitingForWorker) this.pool.startNow(this);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** A batch was handed on: the worker may post another. */
  ack(): void {
    this.worker?.postMessage({ type: "ack", job: this.id });
  }

  /** The job's output is not wanted: its worker (if it has one) is stopped. */
  cancel(): void {
    this.pool.cancel(this);
  }
}

/**
 * Up to `size` parse workers, reused from job to job. A job runs on one worker from its start to
 * its end. A job whose output is awaited while every worker is busy gets a worker of its own
 * beyond `size` (merging many files needs every file's first batch before it can hand any on,
 * and the busy workers may all be waiting for their batches to be taken).
 */
export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, JobHandle>();
  private readonly queued: JobHandle[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly script: URL = defaultScript(),
  ) {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`workers must be ≥ 1, got ${size}`);
  }

  submit(spec: JobSpec): JobHandle {
    const h = new JobHandle(this.nextId++, spec, this);
    this.queued.push(h);
    this.schedule();
    return h;
  }

  startNow(h: JobHandle): void {
    const i = this.queued.indexOf(h);
    if (i < 0) return;
    this.queued.splice(i, 1);
    this.start(h, this.idle.pop() ?? this.spawn());
  }

  cancel(h: JobHandle): void {
    const i = this.queued.indexOf(h);
    if (i >= 0) this.queued.splice(i, 1);
    const w = h.worker;
    if (w && this.busy.get(w) === h) {
      this.busy.delete(w);
      w.removeAllListeners();
      void w.terminate();
      this.schedule();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const h of this.queued) h.fail(new ParseWorkerError("parse pool closed"));
    this.queued.length = 0;
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(
      all.map((w) => {
        w.removeAllListeners();
        return w.terminate();
      }),
    );
  }

  private schedule(): void {
    while (!this.closed && this.queued.length > 0 && this.busy.size < this.size) {
      this.start(this.queued.shift()!, this.idle.pop() ?? this.spawn());
    }
  }

  private start(h: JobHandle, w: Worker): void {
    h.waitingForWorker = false;
    h.worker = w;
    this.busy.set(w, h);
    const job: JobMessage = { type: "job", job: h.id, ...h.spec };
    w.postMessage(job);
  }

  private spawn(): Worker {
    const w = workerFor(this.script);
    w.unref();
    w.on("message", (m: FromWorker) => {
      const h = this.busy.get(w);
      if (!h || h.id !== m.job) return;
      h.push(m);
      if (m.type === "end") {
        this.busy.delete(w);
        // Past `size` (a worker started for an awaited job), it goes once its job is done.
        if (this.idle.length + this.busy.size >= this.size) {
          w.removeAllListeners();
          void w.terminate();
        } else this.idle.push(w);
        this.schedule();
      }
    });
    const lost = (why: string) => {
      const h = this.busy.get(w);
      this.busy.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      h?.fail(new ParseWorkerError(`parse worker for ${h.spec.path} failed: ${why}`));
      this.schedule();
    };
    w.on("error", (e: Error) => lost(e.message));
    w.on("exit", (code) => lost(`exited with code ${code}`));
    return w;
  }
}

/**
 * The compiled worker beside this file; when this file runs as TypeScript (vitest, tsx), the
 * .ts worker through tsx's loader, which a worker thread does not inherit from its parent.
 */
function defaultScript(): URL {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./parse-worker${ext}`, import.meta.url);
}

function workerFor(script: URL): Worker {
  if (!script.pathname.endsWith(".ts")) return new Worker(script);
  const api = createRequire(import.meta.url)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  const boot = `import(${JSON.stringify(pathToFileURL(api).href)})
    .then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(boot, { eval: true });
}
