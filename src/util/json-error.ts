/**
 * What is wrong with JSON text `text` that JSON.parse refused with `e`, said for a person: the
 * line and column when V8 gives a position, and V8's reason without the copy of the text it
 * sometimes quotes (`Unexpected token '}', "{ ...whole file... }" is not valid JSON`).
 */
export function jsonErrorText(text: string, e: Error): string {
  const reason = e.message
    .replace(/, "[\s\S]*" is not valid JSON$/, "")
    .replace(/ in JSON at position \d+.*$/s, "")
    .split("\n")[0]!
    .slice(0, 160);
  const at = /at position (\d+)/.exec(e.message);
  if (!at) return reason;
  const pos = Math.min(Number(at[1]), text.length);
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return `line ${line} column ${column}: ${reason}`;
}
