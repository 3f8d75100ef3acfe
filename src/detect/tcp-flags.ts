import type { PacketEvent } from "../events/event.js";
import type { StealthTechnique } from "../rules/compiled-rule.js";

/** Set of flags as a bit mask, ignoring ECN bits (ECE, CWR), which say nothing about intent. */
const BIT: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32 };
export const F = BIT as { FIN: number; SYN: number; RST: number; PSH: number; ACK: number; URG: number };

export function flagMask(e: PacketEvent): number {
  let m = 0;
  for (const f of e.flags ?? []) m |= BIT[f] ?? 0;
  return m;
}

/** A connection attempt: SYN without ACK, RST or FIN. */
export function isSyn(e: PacketEvent): boolean {
  return e.proto === "tcp" && flagMask(e) === F.SYN;
}

/** Flag sets a TCP stack sends inside normal connections. */
const NORMAL = new Set([
  F.SYN,
  F.SYN | F.ACK,
  F.ACK,
  F.ACK | F.PSH,
  F.ACK | F.FIN,
  F.ACK | F.FIN | F.PSH,
  F.RST,
  F.RST | F.ACK,
  F.ACK | F.URG,
  F.ACK | F.URG | F.PSH,
  F.ACK | F.RST | F.PSH,
]);

/** The stealth technique a probe's flags reveal, or undefined for normal traffic. */
export function stealthTechnique(e: PacketEvent): StealthTechnique | undefined {
  if (e.proto !== "tcp" || e.flags === undefined) return undefined;
  const m = flagMask(e);
  if (m === 0) return "null";
  if (m === F.FIN) return "fin";
  if (m === (F.FIN | F.PSH | F.URG)) return "xmas";
  if (m === F.ACK) return "ack";
  if (m === (F.FIN | F.ACK)) return "maimon";
  if (NORMAL.has(m)) return undefined;
  return "other";
}

export function flagText(m: number): string {
  const names = Object.keys(BIT).filter((k) => (m & (BIT[k] ?? 0)) !== 0);
  return names.length ? names.join("+") : "none";
}
