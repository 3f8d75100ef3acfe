import type { TcpOptions } from "../events/event.js";

/**
 * Decodes the kernel's `OPT (020405B40402080A...)` dump of TCP options (hex, no spaces).
 * Which options a SYN carries tells an operating system's connect() (MSS, SACK, timestamps,
 * window scale) from a raw-packet scanner (MSS only, or nothing). Malformed input yields
 * whatever was decoded before the fault; this never throws.
 */
export function decodeTcpOptions(hex: string): TcpOptions {
  const out: TcpOptions = { kinds: [] };
  const n = hex.length >> 1;
  let i = 0;
  while (i < n) {
    const kind = byteAt(hex, i);
    if (kind < 0) break;
    if (kind === 0) {
      out.kinds.push(0);
      break;
    }
    if (kind === 1) {
      out.kinds.push(1);
      i++;
      continue;
    }
    const len = byteAt(hex, i + 1);
    if (len < 2 || i + len > n) break;
    // A corrupted dump ("0204ZZB4") stops here rather than decoding -1 bytes into an mss of -76.
    if (!hexBytes(hex, i + 2, i + len)) break;
    out.kinds.push(kind);
    if (kind === 2 && len === 4) out.mss = (byteAt(hex, i + 2) << 8) | byteAt(hex, i + 3);
    else if (kind === 3 && len === 3) out.wscale = byteAt(hex, i + 2);
    else if (kind === 4) out.sackPermitted = true;
    else if (kind === 8) out.timestamps = true;
    i += len;
  }
  return out;
}

function hexBytes(hex: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (byteAt(hex, k) < 0) return false;
  return true;
}

function byteAt(hex: string, i: number): number {
  const hi = nibble(hex.charCodeAt(2 * i));
  const lo = nibble(hex.charCodeAt(2 * i + 1));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
