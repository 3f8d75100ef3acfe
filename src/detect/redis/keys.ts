/**
 * Redis key names for a store under prefix P. Every key of a logical key K carries the hash tag of
 * K's shard, `{<n>}` with n = crc16(K) mod SHARDS, so that all of K's keys live in one Cluster slot
 * and a batch needs at most SHARDS script calls on a Cluster (one per slot), one on a plain Redis.
 *   P{n}K:m          hash  w (window ms), bm (bucket ms), c (clock), f (first seen), b:<bucket> → count,
 *                          t:<tag> → value, s:<i> → sample, d:<dim> → "" or "<overflowAt>|<hll buckets>"
 *   P{n}K:z:<dim>    zset  member → last seen (event time), capped at maxMembers
 *   P{n}K:h:<dim>:<bucket>  HyperLogLog of the members seen in that bucket, only after an overflow
 *   P{n}:i           zset  the shard's window keys (K) by the end of their window (clock + window)
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

/** The base of every key of logical key `key`: `P{n}K` (scripts append `:m`, `:z:<dim>`...). */
export function keyBase(prefix: string, key: string): string {
  return `${prefix}{${shardOf(key)}}${escapePart(key)}`;
}

export function metaKey(prefix: string, key: string): string {
  return `${keyBase(prefix, key)}:m`;
}

export function zsetKey(prefix: string, key: string, dim: string): string {
  return `${keyBase(prefix, key)}:z:${escapePart(dim)}`;
}

/** The index of shard `n`: its logical keys scored by window end (the eviction order). */
export function shardIndexKey(prefix: string, n: number): string {
  return `${prefix}{${n}}:i`;
}

/** True for a key `metaPattern` found that is a meta key (a dimension named "m" also ends in ":m"). */
export function isMetaKey(prefix: string, key: string): boolean {
  const close = key.indexOf("}", prefix.length);
  return close > 0 && key.indexOf(":", close) === key.length - 2;
}

export function incidentKey(prefix: string, incident: string): string {
  return `${prefix}{${shardOf(incident)}}:i:${escapePart(incident)}`;
}

export function commitKey(prefix: string, key: string): string {
  return `${prefix}{${shardOf(key)}}:c:${escapePart(key)}`;
}

/** A SCAN pattern for every meta key under the prefix. */
export function metaPattern(prefix: string): string {
  return `${globEscape(prefix)}{*}*:m`;
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
