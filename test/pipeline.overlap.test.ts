import { describe, expect, it } from "vitest";
import { Diagnostics } from "../src/diagnostics.js";
import { Engine } from "../src/detect/engine.js";
import { MemoryStore } from "../src/detect/memory-store.js";
import type { Commit, WindowSnapshot, WindowUpdate } from "../src/detect/window-store.js";
import type { Alert } from "../src/events/alert.js";
import type { Event } from "../src/events/event.js";
import { runPipeline, type EventSource } from "../src/pipeline.js";
import { loadRules, SHIPPED_RULES_DIR } from "../src/rules/load-rules.js";
import { synEvent } from "./support/events.js";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

/** A shared in-process store that answers each batch late, noting how far detection had got. */
class SlowSharedStore extends MemoryStore {
  readonly fedWhenAnswered: number[] = [];
  engine?: Engine;
  constructor() {
    super({ shared: true });
  }
  override async observe(updates: WindowUpdate[], commit?: Commit): Promise<WindowSnapshot[]> {
    await new Promise((r) => setTimeout(r, 20));
    this.fedWhenAnswered.push(this.engine!.stats.events);
    return super.observe(updates, commit);
  }
}

/** Four batches of 50 SYNs: one source sweeping 200 ports, 20 ms apart. */
function batches(): Event[][] {
  const out: Event[][] = [];
  for (let b = 0; b < 4; b++) {
    const batch: Event[] = [];
    for (let i = 0; i < 50; i++) {
      const n = b * 50 + i;
      batch.push(synEvent("198.51.100.7", "203.0.113.10", 1000 + n, T0 + n * 20, n + 1));
    }
    out.push(batch);
  }
  return out;
}

async function run(live: boolean, failAfter?: number) {
  const store = new SlowSharedStore();
  const engine = new Engine(await loadRules(SHIPPED_RULES_DIR), store, { diagnostics: new Diagnostics() });
  store.engine = engine;
  const all = batches();
  const source: EventSource = {
    batches: (async function* () {
      for (let i = 0; i < all.length; i++) {
        if (i === failAfter) throw new Error("disk gone");
        yield all[i]!;
      }
    })(),
    // A live source has positions to commit after each batch's alerts.
    ...(live && { commit: () => undefined }),
  };
  const alerts: Alert[] = [];
  const judged: number[] = [];
  const written: Alert[] = [];
  let error: unknown;
  await runPipeline({
    source,
    engine,
    sinks: [{ name: "test", write: async (a) => void written.push(a), close: async () => undefined }],
    onAlerts: (a) => alerts.push(...a),
    onJudged: (events) => judged.push(events[0]!.source.line),
  }).catch((e: unknown) => (error = e));
  return { alerts, judged, written, error, fedWhenAnswered: store.fedWhenAnswered };
}

describe("pipeline with a shared store", () => {
  it("pipeline/files read once: detection runs a batch ahead of the store, alerts as one at a time", async () => {
    const ahead = await run(false);
    const step = await run(true);
    // Files: when the store answered batch 1, batch 2 had already been fed (100 events).
    expect(ahead.fedWhenAnswered.slice(0, 3)).toEqual([100, 150, 200]);
    // A live source waits for each answer before it reads on.
    expect(step.fedWhenAnswered).toEqual([50, 100, 150, 200]);
    // Same alerts, delivered in batch order with their own batch.
    expect(ahead.alerts.length).toBeGreaterThan(0);
    expect(ahead.alerts).toEqual(step.alerts);
    expect(ahead.judged).toEqual([1, 51, 101, 151]);
    expect(step.judged).toEqual([1, 51, 101, 151]);
    expect(ahead.written).toEqual(step.written);
  });

  it("pipeline/a source failing while a batch is ahead still delivers that batch's alerts", async () => {
    // The third read fails: the second batch was detected ahead and its exchange done, so its
    // alerts (its incident steps are raised in the store) reach the sinks before the error.
    const ahead = await run(false, 2);
    const step = await run(true, 2);
    expect((ahead.error as Error).message).toBe("disk gone");
    expect((step.error as Error).message).toBe("disk gone");
    expect(ahead.judged).toEqual([1, 51]);
    expect(ahead.written.length).toBeGreaterThan(0);
    expect(ahead.written).toEqual(step.written);
  });
});
