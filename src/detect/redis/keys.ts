/**
 * Redis key names for a store under prefix P. Every key of a logical key K carries the hash tag of
 * K's shard, `{<n>}` with n = crc16(K) mod SHARDS, so that all of K's keys live in one Cluster slot
 * and a batch needs at most SHARDS script calls on a Cluster (one per slot), one on a plain Redis.
 *   P{n}K:v          string  K's state, MessagePack: window, bucket size, clock, first seen,
 *                            bucket counts, tags, the first few samples, per dimension its
 *                            member count, a lower bound of their times and its overflow
 *                            (scripts.ts)
 *   P{n}K:z:<dim>    zset  member → last seen (event time), capped at maxMembers
 *   P{n}K:h          hash  <dim>:<bucket> → HyperLogLog of the members seen in that bucket, only
 *                          after an overflow
 *   P{n}:i           zset  the shard's window keys by the end of their window (clock + window);
 *                          a member is K followed by ":<dim>" for each of its dimensions, so that
 *                          an eviction can name every key it deletes
 *   P{n}:x, P{n}:y   scratch keys of one script call (HyperLogLog work), deleted before it ends
 *   P{n}:i:I         hash  incident I (n from I): id, l (level), e (expiry, event time)
 *   P{n}:c:C         string  a commit value written with a batch (n from C)
 * K and the dimension are escaped so that they hold no ":" (nor "%"): a suffix starts at the first
 * ":" after the tag, so no two logical keys can ever share a Redis key.
 */
export const SHARDS = 64;

export function escapePart(s: string): string {
  return s.replace(/[%:]/g, (c) => (c === "%" ? "%25" : "%3A"));
}

export function unescapePart(s: string): string {
  return s.replace(/%(25|3A)/g, (_, h: string) => (h === "25" ? "%" : ":"));
}

export function shardOf(s: string): number {
  return crc16(Buffer.from(s)) % SHARDS;
}

/** The base of every key of logical key `key`: `P{n}K` (then `:v`, `:h`, `:z:<dim>`). */
export function keyBase(prefix: string, key: string): string {
  return keyBaseIn(prefix, shardOf(key), key);
}

/** `keyBase` for a key whose shard is known already. */
export function keyBaseIn(prefix: string, shard: number, key: string): string {
  return `${prefix}{${shard}}${escapePart(key)}`;
}

export function stateKey(base: string): string {
  return `${base}:v`;
}

export function hllKey(base: string): string {
  return `${base}:h`;
}

/** A set's key; `dim` already escaped. */
export function zsetKey(base: string, dim: string): string {
  return `${base}:z:${dim}`;
}

/** The two scratch keys of a script call, in the slot of shard `n`. */
export function scratchKeys(prefix: string, n: number): [string, string] {
  return [`${prefix}{${n}}:x`, `${prefix}{${n}}:y`];
}

/**
 * The keys of an index member (`K:dim:dim...`, escaped) in shard `n`, as EVICT_LUA takes them:
 * state, HyperLogLog hash, sets.
 */
export function memberKeys(prefix: string, n: number, member: string): string[] {
  const [k, ...dims] = member.split(":");
  return logicalKeys(`${prefix}{${n}}${k}`, dims);
}

/** The keys of the logical key at `base` with sets `dims` (escaped): state, HyperLogLog hash, sets. */
export function logicalKeys(base: string, dims: readonly string[]): string[] {
  return [stateKey(base), hllKey(base), ...dims.map((d) => zsetKey(base, d))];
}

/** The index of shard `n`: its logical keys scored by window end (the eviction order). */
export function shardIndexKey(prefix: string, n: number): string {
  return `${prefix}{${n}}:i`;
}

/** True for a key `statePattern` found that is a state key (a dimension named "v" also ends in ":v"). */
export function isStateKey(prefix: string, key: string): boolean {
  const close = key.indexOf("}", prefix.length);
  return close > 0 && key.indexOf(":", close) === key.length - 2;
}

export function incidentKey(prefix: string, incident: string): string {
  return `${prefix}{${shardOf(incident)}}:i:${escapePart(incident)}`;
}

export function commitKey(prefix: string, key: string): string {
  return `${prefix}{${shardOf(key)}}:c:${escapePart(key)}`;
}

/** A SCAN pattern for every state key under the prefix. */
export function statePattern(prefix: string): string {
  return `${globEscape(prefix)}{*}*:v`;
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Redis Cluster's HASH_SLOT of a key: CRC16/XMODEM of its hash tag (or the whole key) mod 16384. */
export function keySlot(key: string): number {
  let k = Buffer.from(key);
  const open = k.indexOf("{");
  if (open >= 0) {
    const close = k.indexOf("}", open + 1);
    if (close > open + 1) k = k.subarray(open + 1, close);
  }
  return crc16(k) % 16384;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
