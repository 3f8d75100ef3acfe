/**
 * A flat copy of a string that shares no memory with the string it was sliced from: an address
 * sliced out of a log line would otherwise keep the whole line alive for as long as it is held
 * (V8 slices strings of 13 characters or more instead of copying them).
 *
 * The last few copies are remembered and handed out again for an equal string: one packet's
 * source address is held by its tcp-scan, port-sweep and flood keys and as a member of its
 * target's ddos and distributed-scan keys, and under a flood of spoofed sources those copies
 * were a large part of what reached the old generation per packet.
 */
const MEMO = 4;
const memoIn: (string | undefined)[] = new Array<string | undefined>(MEMO).fill(undefined);
const memoOut: string[] = new Array<string>(MEMO).fill("");
let memoNext = 0;

export function detach(x: string): string {
  if (x.length < 13) return x;
  for (let i = 0; i < MEMO; i++) if (memoIn[i] === x) return memoOut[i]!;
  const copy = (" " + x).slice(1);
  // The copy is remembered as the input too: it holds no line, unlike `x`.
  memoIn[memoNext] = copy;
  memoOut[memoNext] = copy;
  memoNext = (memoNext + 1) % MEMO;
  return copy;
}
