/**
 * Members of one dimension (ports, hosts, sources...) with the time each was last seen, in the
 * order they were last seen (re-inserted on update). Holds its first entry inline and only
 * allocates a Map for a second: under a flood of spoofed sources nearly every per-source key
 * holds one port and one host.
 */
/** A member: a port as a number (no string per packet), an address or a name as text. */
export type Member = string | number;

export class MemberMap {
  private k0: Member | undefined = undefined;
  private v0 = 0;
  private map: Map<Member, number> | undefined = undefined;

  get size(): number {
    return this.map ? this.map.size : this.k0 !== undefined ? 1 : 0;
  }

  get(k: Member): number | undefined {
    if (this.map) return this.map.get(k);
    return this.k0 === k ? this.v0 : undefined;
  }

  /** Sets an existing `k` to `t`, moving it to the newest end only when `reorder`. */
  set(k: Member, t: number, reorder: boolean): void {
    if (this.map) {
      if (reorder) this.map.delete(k);
      this.map.set(k, t);
    } else this.v0 = t;
  }

  /** Sets `k` to `t` and moves it to the newest end. */
  touch(k: Member, t: number): void {
    if (this.map) {
      this.map.delete(k);
      this.map.set(k, t);
    } else if (this.k0 === undefined || this.k0 === k) {
      this.k0 = k;
      this.v0 = t;
    } else {
      this.map = new Map([[this.k0, this.v0]]);
      this.map.set(k, t);
      this.k0 = undefined;
    }
  }

  /**
   * Deletes members from the oldest end while they were last seen before `cutoff`, then the
   * oldest ones beyond `max`. Returns how many were dropped beyond `max`. Out-of-order events
   * can leave an older member behind a newer one; such a member is dropped late, never early.
   */
  trim(cutoff: number, max: number): number {
    if (!this.map) {
      if (this.k0 !== undefined && this.v0 < cutoff) this.k0 = undefined;
      return 0;
    }
    let over = this.map.size - max;
    let dropped = 0;
    for (const [k, t] of this.map) {
      if (t < cutoff) this.map.delete(k);
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
      for (const [k, t] of this.map) if (t >= from) out.push(k);
    } else if (this.k0 !== undefined && this.v0 >= from) out.push(this.k0);
    return out;
  }

  forEach(fn: (k: Member, t: number) => void): void {
    if (this.map) this.map.forEach((t, k) => fn(k, t));
    else if (this.k0 !== undefined) fn(this.k0, this.v0);
  }
}
