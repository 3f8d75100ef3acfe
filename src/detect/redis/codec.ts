import type { SetState, WindowSnapshot, WindowUpdate } from "../window-store.js";
import { bucketMsFor } from "../window/window-spec.js";
import { StoreError } from "./connection.js";
import { escapePart, unescapePart } from "./keys.js";

/** One update as OBSERVE_LUA reads it (scripts.ts); the bucket size is sent, not recomputed. */
export function encodeUpdate(u: WindowUpdate): unknown[] {
  const sets: [string, (string | number)[]][] = [];
  if (u.sets) {
    for (const dim in u.sets) {
      const flat: (string | number)[] = [];
      for (const [m, t] of u.sets[dim] ?? []) flat.push(m, t);
      sets.push([escapePart(dim), flat]);
    }
  }
  const tags: (string | number)[] = [];
  if (u.tags) for (const t in u.tags) tags.push(t, u.tags[t] ?? 0);
  return [u.windowMs, bucketMsFor(u.windowMs), u.ts, u.firstTs, u.count, sets, tags, u.samples ?? []];
}

/** A snapshot as OBSERVE_LUA returns it: fields joined by NUL (scripts.ts). */
export function parseSnapshot(r: unknown): WindowSnapshot {
  if (typeof r !== "string") throw badReply("observe", r);
  const f = r.split("\0");
  const nsets = Number(f[3]);
  if (f.length < 5 || !Number.isInteger(nsets) || f.length < 5 + nsets * 3) throw badReply("observe", r);
  const sets: Record<string, SetState> = {};
  let i = 4;
  for (let n = 0; n < nsets; n++, i += 3) {
    sets[unescapePart(f[i]!)] = { count: toNumber(f[i + 1]), estimate: f[i + 2] === "1" };
  }
  const tags: Record<string, number> = {};
  // With no sets the sets part is one empty field; with no tags so is the tags part.
  if (nsets === 0) i++;
  for (; i + 1 < f.length; i += 2) tags[f[i]!] = toNumber(f[i + 1]);
  return {
    events: toNumber(f[0]),
    firstSeen: toNumber(f[1]),
    lastSeen: toNumber(f[2]),
    sets,
    tags,
  };
}

export function toNumber(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  if (Number.isNaN(n)) throw badReply("observe", v);
  return n;
}

export function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

export function badReply(what: string, r: unknown): StoreError {
  return new StoreError(
    `unexpected Redis reply to ${what}: ${JSON.stringify(r)?.slice(0, 200)}`,
    "STORE_ERROR",
  );
}
