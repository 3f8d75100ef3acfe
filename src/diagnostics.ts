/**
 * Self-telemetry as named events: every component counts what happened to it here instead of
 * printing. The CLI renders counters in the summary and the metrics endpoint exposes them.
 */
export type Labels = Record<string, string>;

export interface DiagnosticMessage {
  level: "info" | "warn" | "error";
  code: string;
  message: string;
}

export class Diagnostics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private readonly listeners: ((m: DiagnosticMessage) => void)[] = [];

  /** Adds `by` to the counter `name{labels}`. */
  count(name: string, labels?: Labels, by = 1): void {
    const k = key(name, labels);
    this.counters.set(k, (this.counters.get(k) ?? 0) + by);
  }

  gauge(name: string, value: number, labels?: Labels): void {
    this.gauges.set(key(name, labels), value);
  }

  get(name: string, labels?: Labels): number {
    const k = key(name, labels);
    return this.counters.get(k) ?? this.gauges.get(k) ?? 0;
  }

  /** All counters whose name is `name`, as [labels-suffix, value] pairs. */
  series(name: string): [string, number][] {
    const out: [string, number][] = [];
    for (const [k, v] of [...this.counters, ...this.gauges]) {
      if (k === name || k.startsWith(name + "{")) out.push([k.slice(name.length), v]);
    }
    return out;
  }

  snapshot(): { counters: Record<string, number>; gauges: Record<string, number> } {
    return { counters: Object.fromEntries(this.counters), gauges: Object.fromEntries(this.gauges) };
  }

  /** A message for the operator (stderr in the CLI). Never include secrets in `message`. */
  report(level: DiagnosticMessage["level"], code: string, message: string): void {
    this.count("scanwatch_diagnostics_total", { level, code });
    for (const l of this.listeners) l({ level, code, message });
  }

  onReport(listener: (m: DiagnosticMessage) => void): void {
    this.listeners.push(listener);
  }
}

function key(name: string, labels?: Labels): string {
  if (!labels) return name;
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return `${name}{${parts.join(",")}}`;
}
