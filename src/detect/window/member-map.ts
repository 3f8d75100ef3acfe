/**
 * Members of one dimension (ports, hosts, sources...) with the time each was last seen, in the
 * order they were last seen (re-inserted on update). Holds its first entry inline and only
 * allocates a Map for a second: under a flood of spoofed sources nearly every per-source key
 * holds one port and one host.
 *
 * Once there is a Map, its times are kept relative to `base` (the inline member's time when the
 * Map was made): an epoch millisecond is not a small integer to V8, so every update of a Map
 * value allocated a heap number, old-generation garbage on nearly every packet in a long-lived
 * map (294,000 live heap numbers in a snapshot of the bench's kernel log at 500k events, 8,002
 * keys). An offset stays a small integer for 24 days after `base`; past that it is a heap number
 * again, still exact. The inline slot is a field, which V8 updates in place.
 */
/** A member: a port as a number (no string per packet), an address or a name as text. */
export type Member = string | number;

export class MemberMap {
  private k0: Member | undefined = undefined;
  private v0 = 0;
  private map: Map<Member, number> | undefined = undefined;
  private base = 0;
  /**
   * With a Map: the member last added or updated and its value in the Map. Most packets of a key
   * name the member its previous packet named (the one host a vertical scan probes, the one
   * port a sweep or flood hits), and a compare costs far less than a lookup in a large Map.
   * Only a member the Map holds as its key is kept here (a text member as the copy `touch`
   * stored): a slice of a log line would keep the whole line alive.
   */
  private lk: Member | undefined = undefined;
  private lv = 0;

  get size(): number {
    return this.map ? this.map.size : this.k0 !== undefined ? 1 : 0;
  }

  get(k: Member): number | undefined {
    if (!this.map) return this.k0 === k ? this.v0 : undefined;
    if (k === this.lk) return this.lv + this.base;
    const r = this.map.get(k);
    if (r === undefined) return undefined;
    if (typeof k === "number") {
      this.lk = k;
      this.lv = r;
    }
    return r + this.base;
  }

  /** Sets an existing `k` to `t`, moving it to the newest end only when `reorder`. */
  set(k: Member, t: number, reorder: boolean): void {
    if (this.map) {
      if (reorder) this.map.delete(k);
      this.map.set(k, t - this.base);
      if (typeof k === "number") this.lk = k;
      if (k === this.lk) this.lv = t - this.base;
    } else this.v0 = t;
  }

  /** Sets `k` to `t` and moves it to the newest end. */
  touch(k: Member, t: number): void {
    if (this.map) {
      this.map.delete(k);
      this.map.set(k, t - this.base);
    } else if (this.k0 === undefined || this.k0 === k) {
      this.k0 = k;
      this.v0 = t;
      return;
    } else {
      this.base = this.v0;
      this.map = new Map([[this.k0, 0]]);
      this.map.set(k, t - this.base);
      this.k0 = undefined;
    }
    this.lk = k;
    this.lv = t - this.base;
  }

  /**
   * Deletes members from the oldest end while they were last seen before `cutoff`, then the
   * oldest ones beyond `max`. Returns how many were dropped beyond `max`. Out-of-order events
   * (or members updated without `reorder`) can leave an older member behind a newer one; such a
   * member is dropped late, never early. With `all`, every member last seen before `cutoff` is
   * deleted, wherever it is, and none beyond `max`.
   */
  trim(cutoff: number, max: number, all = false): number {
    this.lk = undefined;
    if (!this.map) {
      if (this.k0 !== undefined && this.v0 < cutoff) this.k0 = undefined;
      return 0;
    }
    const c = cutoff - this.base;
    if (all) {
      for (const [k, t] of this.map) if (t < c) this.map.delete(k);
      return 0;
    }
    let over = this.map.size - max;
    let dropped = 0;
    for (const [k, t] of this.map) {
      if (t < c) this.map.delete(k);
      else if (over > 0) {
        this.map.delete(k);
        dropped++;
      } else break;
      over--;
    }
    return dropped;
  }

  /** Members last seen at or after `from`. */
  since(from: number): Member[] {
    const out: Member[] = [];
    if (this.map) {
      const f = from - this.base;
      for (const [k, t] of this.map) if (t >= f) out.push(k);
    } else if (this.k0 !== undefined && this.v0 >= from) out.push(this.k0);
    return out;
  }

  forEach(fn: (k: Member, t: number) => void): void {
    const b = this.base;
    if (this.map) this.map.forEach((t, k) => fn(k, t + b));
    else if (this.k0 !== undefined) fn(this.k0, this.v0);
  }

  /** Removes `k`. */
  delete(k: Member): void {
    if (k === this.lk) this.lk = undefined;
    if (this.map) this.map.delete(k);
    else if (this.k0 === k) this.k0 = undefined;
  }

  /** Empties the map (the dimension of a key taken over by another: see KeyWindow.reuse). */
  clear(): void {
    this.k0 = undefined;
    this.v0 = 0;
    this.map = undefined;
    this.base = 0;
    this.lk = undefined;
  }
}
