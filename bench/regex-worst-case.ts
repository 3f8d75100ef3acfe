import { parseSshd, SSHD_PATTERNS } from "../src/parsers/sshd.js";

/**
 * Times every sshd pattern on hostile inputs of 16 KiB and 64 KiB built to make a backtracking
 * engine work hardest (repeated fragments of the pattern's own fixed text, no valid ending).
 * A linear-time pattern takes about 4x as long on the 4x input; a catastrophic one explodes.
 */
export function hostileRegexTimings(): { name: string; small: number; large: number }[] {
  const fragments = [" from 1.2.3.4 port 22 ssh2", " user ", " port 1", "=", "[", " rhost=", "'"];
  const out: { name: string; small: number; large: number }[] = [];
  for (const p of SSHD_PATTERNS) {
    const prefix = p.re.source.replace(/^\^/, "").split(/[(\\[]/)[0] ?? "";
    let worstSmall = 0;
    let worstLarge = 0;
    for (const frag of fragments) {
      const mk = (bytes: number) =>
        prefix + frag.repeat(Math.ceil(bytes / frag.length)).slice(0, bytes) + " \u0000";
      worstSmall = Math.max(worstSmall, time(mk(16 * 1024)));
      worstLarge = Math.max(worstLarge, time(mk(64 * 1024)));
    }
    out.push({ name: p.name, small: worstSmall, large: worstLarge });
  }
  return out;
}

function time(line: string): number {
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) parseSshd(line);
  return (performance.now() - t0) / 5;
}
