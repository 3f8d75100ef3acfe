import type { FactSource } from "../detector.js";

/**
 * A scan detector's "is this source a scanner" fact: 1 when the source reached a fast (not
 * `slow`) rule's threshold on its own, in distinct ports. tcp-scan and udp-scan provide it.
 */
export function isScanner(state: FactSource, key: string): number {
  for (let r = 0; r < state.rules.length; r++) {
    const rule = state.rules[r]!;
    if (rule.slow) continue;
    const v = state.view(key, r);
    if (v && v.distinct("port") >= rule.threshold) return 1;
  }
  return 0;
}
