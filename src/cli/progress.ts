/** A one-line progress bar on a terminal's stderr, redrawn at most 5 times a second. */
export class Progress {
  private done = 0;
  private last = -Infinity;
  private readonly started = performance.now();
  lines = 0;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  add(bytes: number): void {
    this.done += bytes;
    const now = performance.now();
    if (now - this.last < 200) return;
    this.last = now;
    this.draw(now);
  }

  private draw(now: number): void {
    const secs = (now - this.started) / 1000;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const width = 24;
    const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "░");
    // No rate or time left before there is something to measure them by (a first frame said
    // "0 lines/s eta 0s").
    const measured = this.lines > 0 && secs >= 0.5;
    const rate = measured ? ` ${Math.round(this.lines / secs).toLocaleString("en-US")} lines/s` : "";
    const eta = measured && frac > 0 && frac < 1 ? ` eta ${Math.round((secs / frac) * (1 - frac))}s` : "";
    const pct = this.total > 0 ? `${(frac * 100).toFixed(0).padStart(3)}% ` : "";
    this.out.write(
      `\r${bar} ${pct}${mb(this.done)}${this.total ? "/" + mb(this.total) : ""}${rate}${eta}\x1b[K`,
    );
  }

  clear(): void {
    this.out.write("\r\x1b[K");
    this.last = -Infinity;
  }
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}
