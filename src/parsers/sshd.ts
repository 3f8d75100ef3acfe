import type { AuthKind } from "../events/event.js";
import { canonicalIp } from "./ip.js";

/** The fields an sshd message yields, before time, host and source are attached. */
export interface SshdFields {
  kind: AuthKind;
  src: string;
  sport?: number;
  user?: string;
  method?: string;
}

export type SshdResult =
  { ok: true; fields: SshdFields; pattern: string } | { ok: false; reason: string; pattern?: string };

/**
 * One sshd message shape. `re` is anchored at both ends; the address is always taken from the
 * fixed structure sshd writes *after* any attacker-controlled text (user names, client banners),
 * and user captures are greedy, so the match that wins is the one ending at the real suffix:
 * a user named `x from 203.0.113.9 port 22 ssh2` cannot move the address.
 * None of these expressions nests quantifiers: each runs in time linear in the line length.
 */
export interface SshdPattern {
  name: string;
  re: RegExp;
  /**
   * The same shape with a lazy user capture, for messages with client-chosen text on both sides of
   * the address. A certificate's key ID follows "ssh2: " (`ssh2: ED25519-CERT SHA256:.. ID <key id>
   * (serial 1) CA ..`), so `Failed publickey for x from 198.51.100.7 port 1 ssh2: .. ID y from
   * 203.0.113.9 port 22 ssh2: ..` reads two ways; when `twin` finds another address the line is
   * refused (`sshd-ambiguous`) rather than guessed. Run only when the line does not end at `ssh2`.
   */
  twin?: RegExp;
  /** Maps the match to fields, or to null for a recognized message that carries no event. */
  map: (
    m: RegExpExecArray,
  ) => (Omit<SshdFields, "src" | "sport"> & { addr: string; port?: string | undefined }) | null;
}

const U = "(.*)";
const A = "(\\S+)";

export const SSHD_PATTERNS: readonly SshdPattern[] = [
  {
    name: "failed",
    re: new RegExp(`^Failed (\\S+) for (invalid user )?${U} from ${A} port (\\d+) ssh2(?:: .*)?$`),
    twin: new RegExp(`^Failed (\\S+) for (invalid user )?(.*?) from ${A} port (\\d+) ssh2(?:: .*)?$`),
    map: (m) => ({ kind: "failure", method: m[1], user: m[3], addr: m[4]!, port: m[5] }),
  },
  {
    name: "invalid-user",
    re: new RegExp(`^Invalid user ${U} from ${A}(?: port (\\d+))?$`),
    map: (m) => ({ kind: "invalid-user", user: m[1], addr: m[2]!, port: m[3] }),
  },
  {
    name: "accepted",
    re: new RegExp(`^Accepted (\\S+) for ${U} from ${A} port (\\d+) ssh2(?:: .*)?$`),
    twin: new RegExp(`^Accepted (\\S+) for (.*?) from ${A} port (\\d+) ssh2(?:: .*)?$`),
    map: (m) => ({ kind: "success", method: m[1], user: m[2], addr: m[3]!, port: m[4] }),
  },
  {
    name: "closed-preauth",
    re: new RegExp(
      `^Connection (?:closed|reset) by (?:(?:authenticating|invalid) user ${U} )?${A} port (\\d+)(?: \\[preauth\\])?$`,
    ),
    map: (m) => ({ kind: "preauth-close", user: m[1], addr: m[2]!, port: m[3] }),
  },
  {
    // OpenSSH 6 wrote no port.
    name: "closed-no-port",
    re: /^Connection closed by (\S+) \[preauth\]$/,
    map: (m) => ({ kind: "preauth-close", addr: m[1]! }),
  },
  {
    name: "disconnected-preauth",
    re: new RegExp(
      `^Disconnected from (?:(?:authenticating|invalid) user ${U} )?${A} port (\\d+) \\[preauth\\]$`,
    ),
    map: (m) => ({ kind: "preauth-close", user: m[1], addr: m[2]!, port: m[3] }),
  },
  {
    name: "received-disconnect-preauth",
    re: /^Received disconnect from (\S+?) port (\d+):\d+: .*\[preauth\]$/,
    map: (m) => ({ kind: "preauth-close", addr: m[1]!, port: m[2] }),
  },
  {
    name: "no-ident",
    re: new RegExp(`^Did not receive identification string from ${A}(?: port (\\d+))?$`),
    map: (m) => ({ kind: "no-ident", addr: m[1]!, port: m[2] }),
  },
  {
    name: "banner-exchange",
    re: /^banner exchange: Connection from (\S+) port (\d+): .*$/,
    map: (m) => ({ kind: "no-ident", addr: m[1]!, port: m[2] }),
  },
  {
    name: "bad-protocol-version",
    re: new RegExp(`^Bad protocol version identification '.*' from ${A}(?: port (\\d+))?$`),
    map: (m) => ({ kind: "no-ident", addr: m[1]!, port: m[2] }),
  },
  {
    name: "unable-to-negotiate",
    re: /^Unable to negotiate with (\S+) port (\d+): no matching .*$/,
    map: (m) => ({ kind: "negotiation-failure", addr: m[1]!, port: m[2] }),
  },
  {
    name: "max-auth-exceeded",
    re: new RegExp(
      `^maximum authentication attempts exceeded for (?:invalid user )?${U} from ${A} port (\\d+) ssh2(?: \\[preauth\\])?$`,
    ),
    map: (m) => ({ kind: "max-auth", user: m[1], addr: m[2]!, port: m[3] }),
  },
  {
    name: "too-many-failures",
    re: new RegExp(
      `^Disconnecting (?:(?:authenticating|invalid) user ${U} )?${A} port (\\d+): Too many authentication failures(?: \\[preauth\\])?$`,
    ),
    map: (m) => ({ kind: "max-auth", user: m[1], addr: m[2]!, port: m[3] }),
  },
  {
    name: "pam-auth-failure",
    re: /^pam_unix\(sshd:auth\): authentication failure; logname=\S* uid=\d+ euid=\d+ tty=\S* ruser=\S* rhost=(\S+) *(?:user=(.*))?$/,
    map: (m) => ({ kind: "failure", method: "pam", user: m[2], addr: m[1]! }),
  },
  {
    name: "pam-more-failures",
    re: /^PAM \d+ more authentication failures?; logname=\S* uid=\d+ euid=\d+ tty=\S* ruser=\S* rhost=(\S+) *(?:user=(.*))?$/,
    map: (m) => ({ kind: "failure", method: "pam", user: m[2], addr: m[1]! }),
  },
  {
    name: "pam-error",
    re: new RegExp(`^PAM: Authentication failure for (?:illegal user )?${U} from ${A}$`),
    map: (m) => ({ kind: "failure", method: "pam", user: m[1], addr: m[2]! }),
  },
  {
    name: "not-allowed",
    re: new RegExp(
      `^User ${U} from ${A} not allowed because (?:not listed in|listed in|none of|not in|shell|account|a group) .*$`,
    ),
    map: (m) => ({ kind: "refused", user: m[1], addr: m[2]! }),
  },
  {
    name: "root-refused",
    re: /^ROOT LOGIN REFUSED FROM (\S+?)(?: port (\d+))?$/,
    map: (m) => ({ kind: "refused", user: "root", addr: m[1]!, port: m[2] }),
  },
  {
    name: "timeout",
    re: /^Timeout before authentication for (?:connection from )?(\S+) (?:to \S+, )?port (\d+)$/,
    map: (m) => ({ kind: "timeout", addr: m[1]!, port: m[2] }),
  },
  {
    name: "connect",
    re: /^Connection from (\S+) port (\d+) on \S+ port \d+(?: rdomain .*)?$/,
    map: (m) => ({ kind: "connect", addr: m[1]!, port: m[2] }),
  },
];

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** Messages sshd writes that name no attacking address or carry no detection value. */
const IGNORED_STARTS = [
  "kex_exchange_identification:",
  "Received disconnect from",
  "Disconnected from user",
  "Disconnected from",
  "pam_",
  "Postponed",
  "Server listening",
  "Received signal",
  "Starting session",
  "Disconnecting",
  "Close session",
  "Transferred",
];

/**
 * Parses the message part of an sshd (or sshd-session) line. Total: never throws; an
 * unrecognized message is `{ok:false, reason:"sshd-unrecognized"}`.
 */
export function parseSshd(message: string): SshdResult {
  let msg = message;
  // "error: ", "fatal: " and "debug1: " level prefixes do not change the meaning.
  if (msg.startsWith("error: ")) msg = msg.slice(7);
  else if (msg.startsWith("fatal: ")) msg = msg.slice(7);
  // Strip a trailing CR (a CRLF file) without touching the message otherwise.
  if (msg.charCodeAt(msg.length - 1) === 13) msg = msg.slice(0, -1);
  // No pattern can match across a line break ("." and \S stop at one); skipping them up front keeps
  // `.*$` from failing anew after every " from " of a long crafted line (quadratic time).
  const patterns = LINE_BREAK.test(msg) ? [] : SSHD_PATTERNS;
  for (const p of patterns) {
    const m = p.re.exec(msg);
    if (!m) continue;
    const f = p.map(m);
    if (f === null) return { ok: false, reason: "sshd-ignored", pattern: p.name };
    if (p.twin && !msg.endsWith(" ssh2")) {
      const t = p.twin.exec(msg);
      const g = t ? p.map(t) : null;
      if (g && (g.addr !== f.addr || g.port !== f.port))
        return { ok: false, reason: "sshd-ambiguous", pattern: p.name };
    }
    const src = canonicalIp(f.addr);
    if (src === undefined) return { ok: false, reason: "sshd-bad-address", pattern: p.name };
    const fields: SshdFields = { kind: f.kind, src };
    if (f.port !== undefined) {
      const port = Number(f.port);
      if (port <= 65535) fields.sport = port;
    }
    if (f.user !== undefined) fields.user = f.user;
    if (f.method !== undefined) fields.method = f.method;
    return { ok: true, fields, pattern: p.name };
  }
  for (const s of IGNORED_STARTS) if (msg.startsWith(s)) return { ok: false, reason: "sshd-ignored" };
  return { ok: false, reason: "sshd-unrecognized" };
}
