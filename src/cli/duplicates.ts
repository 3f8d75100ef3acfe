import type { Diagnostics } from "../diagnostics.js";
import { CrossFileDedup } from "../sources/dedup.js";
import { RuleCopies } from "../sources/rule-copies.js";

/** The cross-file duplicate filter both commands use, counted in `scanwatch_duplicate_lines_total{file}`. */
export function duplicateFilter(disorderMs: number, diagnostics: Diagnostics): CrossFileDedup {
  return new CrossFileDedup({
    windowMs: disorderMs,
    onCopy: (e) => diagnostics.count("scanwatch_duplicate_lines_total", { file: e.source.file }),
  });
}

/** The filter of packets two LOG rules logged (UFW's AUDIT line and its verdict), both commands. */
export function ruleCopiesFilter(diagnostics: Diagnostics): RuleCopies {
  return new RuleCopies((e) => diagnostics.count("scanwatch_rule_copies_total", { file: e.source.file }));
}
