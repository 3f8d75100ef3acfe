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

export function parseSnapshot(r: unknown): WindowSnapshot {
  if (!Array.isArray(r) || r.length !== 5) throw badReply("observe", r);
  const [events, firstSeen, lastSeen, setsFlat, tagsFlat] = r as unknown[];
  if (!isStringOrNumberArray(setsFlat) || !isStringOrNumberArray(tagsFlat)) throw badReply("observe", r);
  const sets: Record<string, SetState> = {};
  for (let i = 0; i + 2 < setsFlat.length; i += 3) {
    sets[unescapePart(String(setsFlat[i]))] = {
      count: toNumber(setsFlat[i + 1]),
      estimate: Number(setsFlat[i + 2]) === 1,
    };
  }
  const tags: Record<string, number> = {};
  for (let i = 0; i + 1 < tagsFlat.length; i += 2) tags[String(tagsFlat[i])] = toNumber(tagsFlat[i + 1]);
  return {
    events: toNumber(events),
    firstSeen: toNumber(firstSeen),
    lastSeen: toNumber(lastSeen),
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

function isStringOrNumberArray(v: unknown): v is (string | number)[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number");
}

export function badReply(what: string, r: unknown): StoreError {
  return new StoreError(
    `unexpected Redis reply to ${what}: ${JSON.stringify(r)?.slice(0, 200)}`,
    "STORE_ERROR",
  );
}
