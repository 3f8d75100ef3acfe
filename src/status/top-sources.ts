/**
 * The sources with the most events over the last `horizonMs` of event time, in bounded memory:
 * one Misra-Gries summary of `k` counters per minute. A source with more than 1/k of a minute's
 * events is always kept; counts are lower bounds, short by at most (that minute's events)/k. Under
 * a flood of a million spoofed sources memory stays at `k` counters a minute.
 */
export class TopSources {
  private readonly minutes = new Map<number, Map<string, number>>();
  private latest = -Infinity;

  constructor(
    private readonly k = 100,
    private readonly horizonMs = 3_600_000,
  ) {}

  add(src: string, ms: number): void {
    if (ms > this.latest) {
      this.latest = ms;
      this.forget();
    }
    if (ms < this.latest - this.horizonMs) return;
    const minute = Math.floor(ms / 60_000);
    let counts = this.minutes.get(minute);
    if (!counts) this.minutes.set(minute, (counts = new Map()));
    const n = counts.get(src);
    if (n !== undefined) counts.set(src, n + 1);
    else if (counts.size < this.k) counts.set(src, 1);
    else {
      // Misra-Gries: a newcomer with no room cancels one count of everyone.
      for (const [s, c] of counts) {
        if (c <= 1) counts.delete(s);
        else counts.set(s, c - 1);
      }
    }
  }

  /** The `n` sources with the most events in the horizon, most first (ties by address). */
  top(n: number): { src: string; events: number }[] {
    const sum = new Map<string, number>();
    for (const counts of this.minutes.values())
      for (const [s, c] of counts) sum.set(s, (sum.get(s) ?? 0) + c);
    return [...sum]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([src, events]) => ({ src, events }));
  }

  private forget(): void {
    const oldest = Math.floor((this.latest - this.horizonMs) / 60_000);
    for (const m of this.minutes.keys()) if (m < oldest) this.minutes.delete(m);
  }
}
