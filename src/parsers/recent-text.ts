import { detach } from "../util/detach.js";

/**
 * The last text seen in one field of a log (its host name, its LOG prefix, an interface name),
 * handed out again while lines repeat it: a busy log names the same host and prefix on every
 * line, and a string sliced per line was a small allocation per field per event, kept as many
 * times as events are held (parked first events, samples). The text kept is a copy, so it never
 * holds a log line alive. Parsing is synchronous: one cache per field, shared by all parsers.
 */
export class RecentText {
  private last = "";

  /** s[from, to), as the same string object as last time when it reads the same. */
  at(s: string, from: number, to: number): string {
    const n = to - from;
    if (n === this.last.length && s.startsWith(this.last, from)) return this.last;
    if (n <= 0) return "";
    this.last = detach(s.slice(from, to));
    return this.last;
  }
}
