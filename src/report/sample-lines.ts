import { Diagnostics } from "../diagnostics.js";
import type { Summary } from "../events/summary.js";
import { readLines, type BatchFile } from "../sources/file-batch.js";

/** Sample lines are shown, not parsed: a 64 KiB line would only bloat the report. */
export const SAMPLE_TEXT_MAX = 1000;

/**
 * Fills in `text` for the incidents' sample lines by reading the files again, one pass per file
 * that has samples, stopping after the last wanted line. The analysis itself never keeps line
 * text, and which lines become samples is only known once an alert fires. Stdin cannot be read
 * twice: its samples keep file:line only. A file that cannot be read again is skipped the same way.
 */
export async function addSampleText(summary: Summary, files: readonly BatchFile[]): Promise<void> {
  const wanted = new Map<string, Map<number, { text?: string }[]>>();
  for (const inc of summary.incidents)
    for (const s of inc.samples) {
      let lines = wanted.get(s.file);
      if (!lines) wanted.set(s.file, (lines = new Map()));
      const refs = lines.get(s.line);
      if (refs) refs.push(s);
      else lines.set(s.line, [s]);
    }
  for (const file of files) {
    const lines = wanted.get(file.path);
    if (!lines || file.path === "-") continue;
    let remaining = lines.size;
    const last = Math.max(...lines.keys());
    // Read errors were already reported by the analysis; here they only leave text out.
    for await (const batch of readLines(file, new Diagnostics())) {
      for (const raw of batch) {
        const refs = lines.get(raw.line);
        if (!refs) continue;
        const text = raw.text.length > SAMPLE_TEXT_MAX ? raw.text.slice(0, SAMPLE_TEXT_MAX) + "…" : raw.text;
        for (const r of refs) r.text = text;
        remaining--;
      }
      if (remaining === 0 || (batch.at(-1)?.line ?? 0) >= last) break;
    }
  }
}
