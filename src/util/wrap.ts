const ANSI = /\x1b\[[0-9;]*m/g;

/** Length as it shows on a terminal: colour codes take no room. */
export function visibleLength(s: string): number {
  return s.replace(ANSI, "").length;
}

/**
 * Joins `units` with single spaces into lines of at most `width` visible characters, breaking
 * only between units: a unit (an alert id with its tag, a time stamp) is never cut, and one wider
 * than the line gets a line of its own. Lines after the first start with `indent`. Pure.
 */
export function wrapUnits(units: readonly string[], width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  let len = 0;
  for (const u of units) {
    if (u === "") continue;
    const ulen = visibleLength(u);
    if (len === 0) {
      line = (lines.length ? indent : "") + u.trimStart();
      len = visibleLength(line);
    } else if (len + 1 + ulen <= width) {
      line += " " + u;
      len += 1 + ulen;
    } else {
      lines.push(line.trimEnd());
      line = indent + u.trimStart();
      len = visibleLength(line);
    }
  }
  if (len > 0) lines.push(line.trimEnd());
  return lines;
}

/** Wraps prose at spaces (see `wrapUnits`). */
export function wrapText(text: string, width: number, indent = ""): string[] {
  return wrapUnits(text.split(" "), width, indent);
}
