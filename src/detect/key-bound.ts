import type { DetectorState } from "./detector-state.js";
import type { KeyWindow } from "./window/key-window.js";

/**
 * Brings the keys held across `states` back under `max`, at event time `now`. First, keys whose
 * every window has passed are dropped from the front of each state's map (and `expireParked`
 * drops a state's parked keys likewise). Then, while still over the cap, the least recently used
 * keys are evicted down to nine tenths of it: parked keys first (the oldest), then keys with
 * windows from the front (keys in use move to the back), each state giving a share in
 * proportion to its keys. Exact windows are kept for every key not evicted; an evicted key that
 * returns starts over.
 *
 * Up to `spareRoom` dropped keys go to their state's `spare` list, for new keys to take over.
 * Returns how many keys were evicted (not those whose windows had passed) and how many recycled.
 */
export function boundKeys(
  states: readonly DetectorState[],
  max: number,
  now: number,
  spareRoom: number,
  expireParked: (s: DetectorState) => void,
): { evicted: number; recycled: number } {
  let recycled = 0;
  const drop = (s: DetectorState, k: KeyWindow) => {
    s.drop(k);
    if (recycled < spareRoom) {
      s.spare.push(k);
      recycled++;
    }
  };
  for (const s of states) {
    const w = s.layout.maxWindowMs;
    for (const k of s.keys.values()) {
      if (now - k.clock <= w) break;
      drop(s, k);
    }
    expireParked(s);
  }
  let total = 0;
  for (const s of states) total += s.size;
  if (total <= max) return { evicted: 0, recycled };
  const excess = total - Math.floor(max * 0.9);
  const shares = evictionShares(
    states.map((s) => s.size),
    excess,
  );
  let evicted = 0;
  states.forEach((s, i) => {
    let share = shares[i]!;
    for (const key of s.parked.keys()) {
      if (share <= 0) break;
      s.parked.delete(key);
      share--;
      evicted++;
    }
    for (const k of s.keys.values()) {
      if (share-- <= 0) break;
      drop(s, k);
      evicted++;
    }
  });
  return { evicted, recycled };
}

/**
 * How many of `excess` keys each state gives up: in proportion to its keys, rounded down, the
 * rest from the largest state. Rounding up took the one key of a one-key state on every sweep
 * (the ddos key of a flood's target, which then started over). Pure; exported for tests.
 */
export function evictionShares(sizes: readonly number[], excess: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total === 0) return sizes.map(() => 0);
  const shares = sizes.map((n) => Math.floor((n / total) * excess));
  let largest = 0;
  sizes.forEach((n, i) => {
    if (n > sizes[largest]!) largest = i;
  });
  shares[largest]! += excess - shares.reduce((a, b) => a + b, 0);
  return shares;
}
