/**
 * What is wrong with JSON text `text` that JSON.parse refused with `e`, said for a person: the
 * line and column, and V8's reason without the copy of the text it may quote. V8 gives a
 * position (`... in JSON at position 53`, `... after JSON at position 9`) or quotes the text
 * around the fault (`Unexpected token '.', ..."$schema": ./rule.sch"... is not valid JSON`,
 * the whole text when it is short), where the quote is found in the text again.
 */
export function jsonErrorText(text: string, e: Error): string {
  const msg = e.message;
  let pos: number | undefined;
  const at = /at position (\d+)/.exec(msg);
  if (at) pos = Number(at[1]);
  let reason = msg;
  const quoted = /^(Unexpected token '(.+?)'), (?:\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(
    msg,
  );
  if (quoted) {
    reason = quoted[1]!;
    const excerpt = quoted[3]!;
    const i = text.indexOf(excerpt);
    if (i >= 0) pos = i + Math.max(0, excerpt.indexOf(quoted[2]!));
  }
  reason = reason
    .replace(/ (?:in|after) JSON at position \d+[\s\S]*$/, "")
    .split("\n")[0]!
    .slice(0, 160);
  if (pos === undefined) return reason;
  pos = Math.min(pos, text.length);
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return `line ${line} column ${column}: ${reason}`;
}
