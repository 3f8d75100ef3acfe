import type { TcpOptions } from "../events/event.js";
import { kindList } from "./shared-lists.js";

/** Option kinds of the dump being decoded, before they become the event's list. */
const KINDS: number[] = [];

/**
 * Decodes the kernel's `OPT (020405B40402080A...)` dump of TCP options (hex, no spaces).
 * Which options a SYN carries tells an operating system's connect() (MSS, SACK, timestamps,
 * window scale) from a raw-packet scanner (MSS only, or nothing). Malformed input yields
 * whatever was decoded before the fault; this never throws.
 */
export function decodeTcpOptions(hex: string): TcpOptions {
  const out: TcpOptions = { kinds: KINDS };
  let k = 0;
  // Bytes are decoded once, up to the first pair that is not hex: an option that reaches past
  // it is malformed, exactly as one that reaches past the end.
  const n = decodeHex(hex);
  const b = BYTES;
  let i = 0;
  while (i < n) {
    const kind = b[i]!;
    if (kind === 0) {
      KINDS[k++] = 0;
      break;
    }
    if (kind === 1) {
      KINDS[k++] = 1;
      i++;
      continue;
    }
    if (i + 1 >= n) break;
    const len = b[i + 1]!;
    // A corrupted dump ("0204ZZB4") stops here rather than decoding -1 bytes into an mss of -76.
    if (len < 2 || i + len > n) break;
    KINDS[k++] = kind;
    if (kind === 2 && len === 4) out.mss = (b[i + 2]! << 8) | b[i + 3]!;
    else if (kind === 3 && len === 3) out.wscale = b[i + 2]!;
    else if (kind === 4) out.sackPermitted = true;
    else if (kind === 8) out.timestamps = true;
    i += len;
  }
  out.kinds = kindList(KINDS, k);
  return out;
}

/** Reused between calls: TCP options are at most 40 bytes, so it rarely grows. */
let BYTES = new Uint8Array(64);

/** Decodes the leading hex pairs of `hex` into BYTES; returns how many were valid. */
function decodeHex(hex: string): number {
  const n = hex.length >> 1;
  if (n > BYTES.length) BYTES = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const hi = nibble(hex.charCodeAt(2 * i));
    const lo = nibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return i;
    BYTES[i] = (hi << 4) | lo;
  }
  return n;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
