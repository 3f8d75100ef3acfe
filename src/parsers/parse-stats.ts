import type { Event } from "../events/event.js";
import type { ParseOutcome } from "./line-parser.js";

/** What `parse` and `analyze` report at the end: lines read, events by type, rejections by reason. */
export class ParseStats {
  lines = 0;
  events = 0;
  /** Lines whose time is earlier than the previous line's in the same file (kept, counted). */
  backwards = 0;
  readonly byType = new Map<string, number>();
  readonly rejected = new Map<string, number>();
  readonly byFormat = new Map<string, number>();

  record(o: ParseOutcome): void {
    this.lines++;
    if (o.ok) {
      this.events++;
      bump(this.byType, typeKey(o.event));
      bump(this.byFormat, o.format);
    } else {
      bump(this.rejected, o.reason);
      if (o.format) bump(this.byFormat, o.format);
    }
  }

  get rejectedTotal(): number {
    let n = 0;
    for (const v of this.rejected.values()) n += v;
    return n;
  }
}

/**
 * The summary's "events by type" key. IP protocols other than TCP, UDP and ICMP share one key,
 * `packet/ip`: an IP protocol scan (nmap -sO) sends up to 256 of them, one line each.
 */
export function typeKey(e: Event): string {
  if (e.type === "auth") return AUTH_KEYS.get(e.kind) ?? `auth/${e.kind}`;
  if (e.type === "packet")
    return typeof e.proto === "string" ? (PACKET_KEYS.get(e.proto) ?? `packet/${e.proto}`) : "packet/ip";
  return e.type;
}

// The keys of the common types, built once: a key per event was a string built and hashed anew.
const AUTH_KEYS = new Map<string, string>(
  [
    "failure",
    "invalid-user",
    "success",
    "preauth-close",
    "no-ident",
    "negotiation-failure",
    "refused",
    "connect",
    "timeout",
    "max-auth",
  ].map((k) => [k, `auth/${k}`]),
);
const PACKET_KEYS = new Map<string, string>(["tcp", "udp", "icmp", "icmpv6"].map((k) => [k, `packet/${k}`]));

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}
