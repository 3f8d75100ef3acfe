/**
 * A flat copy of a string that shares no memory with the string it was sliced from: an address
 * sliced out of a log line would otherwise keep the whole line alive for as long as it is held
 * (V8 slices strings of 13 characters or more instead of copying them).
 */
export function detach(x: string): string {
  return x.length < 13 ? x : (" " + x).slice(1);
}
