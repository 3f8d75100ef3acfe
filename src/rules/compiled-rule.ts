import type { PacketEvent } from "../events/event.js";
import type { Severity } from "../events/alert.js";
import type { WindowSpec } from "../detect/window/window-spec.js";
import type { AddressSet } from "./cidr.js";

export type StealthTechnique = "fin" | "xmas" | "null" | "ack" | "maimon" | "other";

/**
 * A rule as the engine uses it: durations in ms, defaults filled, filters compiled. The
 * detector's own fields are compiled by its module into `params`.
 */
export interface CompiledRule<P = unknown> {
  id: string;
  file: string;
  enabled: boolean;
  detector: string;
  windowMs: number;
  window: WindowSpec;
  threshold: number;
  slow: boolean;
  incidentGroup: string;
  /** Ascending measures at which each severity starts; index = level. */
  ladder: { severity: Severity; at: number }[];
  cooldownMs: number;
  /** Packet filter from `match`, applied before counting. */
  matches: (e: PacketEvent) => boolean;
  allowSrc: AddressSet;
  allowDst: AddressSet;
  /** `match` and `allow` as written, canonical: rules that agree on it see the same events. */
  filterKey: string;
  params: P;
}
