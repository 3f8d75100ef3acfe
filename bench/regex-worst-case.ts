import { LineParser } from "../src/parsers/line-parser.js";
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

/**
 * Times whole lines through the line parser (header, kernel and sshd dispatch, netfilter) on
 * hostile words repeated to 12 KiB and 48 KiB (journald's longest line; 64 KiB lines are
 * skipped whole): a scan that restarts per occurrence (finding `IN=` glued to other text, say)
 * shows as a ratio far above 4.
 */
export function hostileLineTimings(): { name: string; small: number; large: number }[] {
  const shapes: [string, string, string][] = [
    ["kernel + xIN=", "Nov 28 14:35:40 fw1 kernel: ", "xIN="],
    ["nginx tag + xIN=", "Nov 28 14:35:40 web1 nginx: GET /", "xIN="],
    ["untagged + xIN=", "2026-06-26 13:22:02.108781500 ", "xIN="],
    ["kernel + IN= OUT", "Nov 28 14:35:40 fw1 kernel: ", "IN=x OUT"],
    ["sshd + from", "Nov 28 14:35:40 fw1 sshd[812]: Invalid user ", "from "],
  ];
  const parser = new LineParser({ time: { zone: "UTC", year: 2026, referenceMs: Date.UTC(2026, 11, 1) } });
  return shapes.map(([name, head, word]) => {
    const mk = (bytes: number) => head + word.repeat(Math.ceil(bytes / word.length)).slice(0, bytes);
    const t = (line: string) => {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) parser.parse(line, "hostile.log", 1);
      return (performance.now() - t0) / 5;
    };
    t(mk(12 * 1024)); // warm-up
    return { name, small: t(mk(12 * 1024)), large: t(mk(48 * 1024)) };
  });
}
