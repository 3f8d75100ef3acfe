const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "60s" → 60000. Returns undefined for anything else (the schema's pattern guarantees the shape). */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,7})(ms|s|m|h)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_MS[m[2]!] ?? NaN);
}
