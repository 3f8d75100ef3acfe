import type { PacketEvent } from "../../events/event.js";

/** Windows raw-packet scanners use (nmap 1024-4096, masscan 1024) and no OS stack does. */
const SCANNER_WINDOWS = new Set([1024, 2048, 3072, 4096]);

/**
 * A SYN written by a raw-packet scanner (nmap -sS, masscan, zmap) rather than an operating
 * system's connect(): no DF and a scanner window, or no options / MSS alone (IPv4 LEN 44 or 40).
 */
export function isRawSyn(e: PacketEvent): boolean {
  const o = e.tcpOptions;
  const bareOptions = !o || o.kinds.length === 0 || (o.kinds.length === 1 && o.mss !== undefined);
  if (e.window !== undefined && SCANNER_WINDOWS.has(e.window) && !e.df) return true;
  return bareOptions && !e.df;
}

/** A SYN with an operating system's full option set (MSS + SACK + timestamps or window scale). */
export function isOsSyn(e: PacketEvent): boolean {
  const o = e.tcpOptions;
  if (!o) return false;
  return o.mss !== undefined && (o.sackPermitted === true || o.timestamps === true) && o.wscale !== undefined;
}
