import type { Diagnostics } from "../diagnostics.js";
import { CrossFileDedup } from "../sources/dedup.js";

/** The cross-file duplicate filter both commands use, counted in `scanwatch_duplicate_lines_total{file}`. */
export function duplicateFilter(disorderMs: number, diagnostics: Diagnostics): CrossFileDedup {
  return new CrossFileDedup({
    windowMs: disorderMs,
    onCopy: (e) => diagnostics.count("scanwatch_duplicate_lines_total", { file: e.source.file }),
  });
}
