import type { Event } from "../events/event.js";

/** What an alert needs to know about a key besides its counts: who, against what, over which protocol. */
export interface KeyInfo {
  src: string | null;
  dst: string | null;
  proto: string;
  host: string;
  technique?: string;
  /** The ISO offset of the newest event ("+01:00"), to write alert times in the log's own zone. */
  offset: string;
}

/** One key's share of a batch: what will be sent to the store as one WindowUpdate. */
export interface KeyAgg {
  key: string;
  count: number;
  firstTs: number;
  ts: number;
  sets: Record<string, Map<string, number>>;
  tags: Record<string, number>;
  samples: string[];
  info: KeyInfo;
  /** Detector scratch space within one batch (e.g. the last source port seen). */
  scratch?: number;
}

const SAMPLES_PER_BATCH = 2;

/**
 * Collects a batch's events per key, so that the store sees one update per key per batch however
 * many events the key had (a flood of 10,000 packets in a batch is one Redis call, not 10,000).
 */
export class Aggregator {
  readonly keys = new Map<string, KeyAgg>();

  /**
   * The key's aggregate, created on first use with the given identity; `count` events are added
   * at `e`'s time. (Plain arguments rather than an object: this runs once per event per rule.)
   */
  add(
    key: string,
    e: Event,
    src: string | null,
    dst: string | null,
    proto: string,
    count = 1,
    technique?: string,
  ): KeyAgg {
    let a = this.keys.get(key);
    if (!a) {
      const info: KeyInfo = { src, dst, proto, host: e.host, offset: offsetOf(e.ts) };
      if (technique !== undefined) info.technique = technique;
      a = { key, count: 0, firstTs: e.ms, ts: e.ms, sets: {}, tags: {}, samples: [], info };
      this.keys.set(key, a);
    }
    a.count += count;
    if (e.ms < a.firstTs) a.firstTs = e.ms;
    if (e.ms > a.ts) {
      a.ts = e.ms;
      a.info.offset = offsetOf(e.ts);
    }
    if (count > 0 && a.samples.length < SAMPLES_PER_BATCH)
      a.samples.push(`${e.source.file}:${e.source.line}`);
    return a;
  }
}

export function member(a: KeyAgg, dim: string, value: string, ms: number): void {
  let m = a.sets[dim];
  if (!m) a.sets[dim] = m = new Map();
  const prev = m.get(value);
  if (prev === undefined || ms > prev) m.set(value, ms);
}

export function tag(a: KeyAgg, name: string, by = 1): void {
  a.tags[name] = (a.tags[name] ?? 0) + by;
}

function offsetOf(iso: string): string {
  const tail = iso.slice(-6);
  return tail[0] === "+" || tail[0] === "-" ? tail : "+00:00";
}

/** Formats epoch ms as ISO 8601 in the given fixed offset ("+01:00"). */
export function isoAt(ms: number, offset: string): string {
  const sign = offset[0] === "-" ? -1 : 1;
  const mins = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const d = new Date(ms + mins * 60_000).toISOString();
  return d.slice(0, 23) + offset;
}
