import type { ParseOutcome } from "../parsers/line-parser.js";
import type { RawLine } from "../sources/line.js";

interface Tally {
  lines: number;
  /** Lines with a syslog header, whatever came after it. */
  headers: number;
  /** Lines with NUL bytes. */
  binary: number;
}

/**
 * Per file, how much of it looked like a log at all, for the summary's warning about a file
 * where nothing did (a binary, a gzip'd tar, the wrong file): "0 events" alone reads as "no attack".
 */
export class FileTally {
  private readonly files = new Map<string, Tally>();
  private readonly warned = new Set<string>();

  record(raw: RawLine, o: ParseOutcome): void {
    const t = this.of(raw.file);
    t.lines++;
    if (o.ok || o.format !== undefined) t.headers++;
    else if (o.reason === "binary") t.binary++;
  }

  /** The same, for lines a parse worker counted. */
  add(file: string, n: Tally): void {
    const t = this.of(file);
    t.lines += n.lines;
    t.headers += n.headers;
    t.binary += n.binary;
  }

  private of(file: string): Tally {
    let t = this.files.get(file);
    if (!t) this.files.set(file, (t = { lines: 0, headers: 0, binary: 0 }));
    return t;
  }

  /** One warning per file that had lines and not one with a syslog header. */
  warnings(): string[] {
    const out: string[] = [];
    for (const [file, t] of this.files) {
      if (t.lines === 0 || t.headers > 0) continue;
      out.push(`warning: ${warningOf(file, t)}`);
    }
    return out;
  }

  /**
   * For a file followed live: the warning, once, when its first `after` lines held not one
   * syslog header (a binary or a log of another format is followed in vain otherwise).
   */
  liveWarning(file: string, after = 100): string | undefined {
    const t = this.files.get(file);
    if (!t || t.lines < after || t.headers > 0 || this.warned.has(file)) return undefined;
    this.warned.add(file);
    return `${warningOf(file, t)}; still following it`;
  }
}

function warningOf(file: string, t: Tally): string {
  const what = t.binary > 0 ? `${t.binary} with NUL bytes: a binary file?` : "is it a log of another format?";
  return `nothing in ${file} looked like a log line (${t.lines.toLocaleString("en-US")} lines, none with a syslog header; ${what})`;
}
