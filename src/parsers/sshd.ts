import type { AuthKind } from "../events/event.js";
import { canonicalIp } from "./ip.js";

/** A client as one reading of a line names it: a canonical address or a host name, and a port. */
export interface Reading {
  addr: string;
  port: number | undefined;
}

/** One reading of a line that reads several ways: its client and what it says about it. */
export interface Alternative extends Reading {
  kind: AuthKind;
  user: string | undefined;
  method: string | undefined;
}

/**
 * How a line names its client. `ip`: an address, read from the line itself. `name`: a host name
 * (sshd with `UseDNS yes`). `none`: no client (`Disconnecting: Too many authentication
 * failures`, `kex_exchange_identification: ...`, or sshd's `UNKNOWN` for a socket already gone).
 * `ambiguous`: client text on both sides of the address gives readings with different clients.
 */
export type ClientKind = "ip" | "name" | "none" | "ambiguous";

/** What an sshd message says, before time, host and the connection's address are attached. */
export interface SshdMatch extends Reading {
  ok: true;
  pattern: string;
  /** `sshd/<pattern>`, as outcomes name their parser. */
  parser: string;
  kind: AuthKind;
  client: ClientKind;
  /** For `ambiguous`: every reading (two or more). `addr` is then "". */
  readings: readonly Alternative[] | undefined;
  user: string | undefined;
  method: string | undefined;
  /** A syslog daemon's `message repeated N times: [ ... ]`: the inner message happened N times. */
  count: number | undefined;
  /** The line opens a connection (`Connection from A port P on B port Q`): what the pid knew is stale. */
  opens: boolean;
  /** The line marks its connection as authenticated (`Accepted ...`). */
  authenticates: boolean;
  /**
   * The line is its connection's last words (`Connection closed by`, `Disconnected from`, with
   * the client's address): the pid's next client is another one (see SshdConnections.close).
   */
  closes: boolean;
  /**
   * The same words end a logged-in session (old OpenSSH without the `[preauth]` tag): an event only
   * while the connection has not authenticated.
   */
  preauthOnly: boolean;
  /** A code-11 disconnect of old OpenSSH with no `[preauth]` tag: an event only after failed attempts. */
  afterFailure: boolean;
}

export type SshdResult =
  | SshdMatch
  | {
      ok: false;
      reason: string;
      pattern?: string;
      /** A recognized line that is no event but names its connection's address (UseDNS warnings). */
      bind?: Reading;
    };

/** What a pattern's match maps to; `addr` is the address text as written (undefined: none). */
interface Mapped {
  kind: AuthKind;
  addr?: string | undefined;
  port?: string | undefined;
  user?: string | undefined;
  method?: string | undefined;
  opens?: boolean;
  authenticates?: boolean;
  closes?: boolean;
  preauthOnly?: boolean;
  afterFailure?: boolean;
}

/**
 * One sshd message shape. `re` is anchored at both ends; the address is taken from the fixed
 * structure sshd writes *after* attacker-controlled text (user names, client banners), and user
 * captures are greedy, so the match that wins is the one ending at the real suffix: a user named
 * `x from 203.0.113.9 port 22 ssh2` cannot move the address. No repetition in these expressions
 * can match the same text two ways (the one repeated group, PAM's ` key=value` fields, splits at
 * spaces), so each runs in time linear in the line length (bench: "regex worst cases").
 */
export interface SshdPattern {
  name: string;
  /** `sshd/<name>`, computed once. */
  parser?: string;
  /** The message starts with one of these (a cheap test before the expression runs). */
  start?: readonly string[];
  /** ...or contains this. */
  has?: string;
  re: RegExp;
  /**
   * For messages with client-chosen text on both sides of the address. After `ssh2: ` come a
   * key's fingerprint, a certificate's key ID (chosen by whoever signed it), hostbased client
   * names, or PAM's keyboard-interactive info; after a username change come both names. Such a
   * line reads as many ways as there are places to end the user name: `tail` is `re`'s part after
   * the user capture (group `userGroup`), tried sticky at every occurrence of `marker` (" from ",
   * or " port " after the address token when `split` is "token"). When the readings name
   * different clients the line is not guessed, whatever it ends with: the connection's address
   * (from another line of the same pid) picks one, or it is refused (`sshd-ambiguous`). With one
   * occurrence of the marker there is one reading and nothing is tried.
   */
  tail?: RegExp;
  userGroup?: number;
  marker?: string;
  split?: "marker" | "token";
  /** `re` with indices ("d"), to find where the user capture starts. */
  reD?: RegExp;
  /** Maps the match to fields, or to null for a recognized message that carries no event. */
  map: (m: RegExpExecArray, preauth: boolean) => Mapped | null;
}

/** The method of a keyboard-interactive attempt through PAM, as sshd names it. */
export const KBDINT_PAM = "keyboard-interactive/pam";

/** A user name: client-chosen, may hold anything (spaces, "from", addresses). */
const U = "(.*)";
const A = "(\\S+)";
const P = "(\\d+)";
/** sshd's connection id since OpenSSH 8: `[authenticating user U |invalid user U ]ADDR port PORT`. */
const WHO = `(?:(?:authenticating|invalid) user ${U} )?`;

/** The expressions of a shape with client text on both sides of the address (see `tail`). */
function twoSided(
  head: string,
  tail: string,
  userGroup: number,
  marker: string,
  split: "marker" | "token",
): Pick<SshdPattern, "re" | "reD" | "tail" | "userGroup" | "marker" | "split"> {
  return {
    re: new RegExp(head + U + tail),
    reD: new RegExp(head + U + tail, "d"),
    tail: new RegExp(tail, "y"),
    userGroup,
    marker,
    split,
  };
}

/** The part of a `from`-shape after the user name. */
const FROM_TAIL = ` from ${A}(?: port ${P})?(?: ssh\\d?)?(?:: .*)?$`;

export const SSHD_PATTERNS: readonly SshdPattern[] = [
  {
    // "ssh1" (OpenSSH before 7.4 with protocol 1), and very old or other servers that wrote no
    // port or no protocol. "<invalid username>" (Solaris, OpenSSH 4 with PAM) is a user like any other.
    name: "failed",
    start: ["Failed "],
    ...twoSided("^Failed (\\S+) for (?:(?:invalid|illegal) user )?", FROM_TAIL, 2, " from ", "marker"),
    map: (m) => ({ kind: "failure", method: m[1], user: m[2], addr: m[3], port: m[4] }),
  },
  {
    name: "invalid-user",
    start: ["Invalid user ", "Illegal user ", "invalid user ", "illegal user "],
    re: new RegExp(`^[Ii](?:nvalid|llegal) user ${U} from ${A}(?: port ${P})?$`),
    map: (m) => ({ kind: "invalid-user", user: m[1], addr: m[2], port: m[3] }),
  },
  {
    name: "accepted",
    start: ["Accepted "],
    ...twoSided("^Accepted (\\S+) for ", FROM_TAIL, 2, " from ", "marker"),
    map: (m) => ({ kind: "success", method: m[1], user: m[2], addr: m[3], port: m[4], authenticates: true }),
  },
  {
    // pam_unix, pam_sss, pam_ldap...; rhost= is a host name with UseDNS yes, empty when unknown.
    // The first rhost= wins: user= (client-chosen) comes after it.
    name: "pam-auth-failure",
    start: ["pam_"],
    re: /^pam_[a-z0-9_]+\(sshd:auth\): authentication failure;(?: [a-z]+=\S*)*? rhost=(\S*)(?: +user=(.*))?$/,
    map: (m) => ({ kind: "failure", method: "pam", user: m[2], addr: m[1] || undefined }),
  },
  {
    name: "pam-more-failures",
    start: ["PAM "],
    re: /^PAM \d+ more authentication failures?;(?: [a-z]+=\S*)*? rhost=(\S*)(?: +user=(.*))?$/,
    map: (m) => ({ kind: "failure", method: "pam", user: m[2], addr: m[1] || undefined }),
  },
  {
    // Since OpenSSH 8 a bare address means before authentication began; OpenSSH 6 wrote no port.
    name: "closed-preauth",
    start: ["Connection closed by ", "Connection reset by "],
    re: new RegExp(`^Connection (?:closed|reset) by ${WHO}${A} port ${P}$`),
    map: (m) => ({ kind: "preauth-close", user: m[1], addr: m[2], port: m[3], closes: true }),
  },
  {
    name: "closed-no-port",
    start: ["Connection closed by ", "Connection reset by "],
    re: /^Connection (?:closed|reset) by (\S+)$/,
    map: (m, preauth) => ({ kind: "preauth-close", addr: m[1], preauthOnly: !preauth }),
  },
  {
    name: "disconnected-preauth",
    start: ["Disconnected from "],
    re: new RegExp(`^Disconnected from ${WHO}${A} port ${P}$`),
    // Without [preauth] nor a user part, OpenSSH 7 ended a logged-in session with these words.
    map: (m, preauth) =>
      !preauth && m[1] === undefined
        ? null
        : { kind: "preauth-close", user: m[1], addr: m[2], port: m[3], closes: true },
  },
  {
    // Without [preauth] this is a logged-in user leaving.
    name: "received-disconnect-preauth",
    start: ["Received disconnect from "],
    re: /^Received disconnect from (\S+) port (\d+):(\d+): ?.*$/,
    map: (m, preauth) => (preauth ? { kind: "preauth-close", addr: m[1], port: m[2] } : null),
  },
  {
    // OpenSSH before 7 wrote no port, and before 5.9 no [preauth] either: without the tag, a
    // code other than 11 (by application) is still a failure to get in; an 11 counts only on a
    // connection that failed already.
    name: "received-disconnect-no-port",
    start: ["Received disconnect from "],
    re: /^Received disconnect from (\S+): ?(\d+): .*$/,
    map: (m, preauth) => ({
      kind: "preauth-close",
      addr: m[1],
      preauthOnly: !preauth,
      afterFailure: !preauth && m[2] === "11",
    }),
  },
  {
    name: "no-ident",
    start: ["Did not receive identification string from "],
    re: new RegExp(`^Did not receive identification string from ${A}(?: port ${P})?$`),
    map: (m) => ({ kind: "no-ident", addr: m[1], port: m[2] }),
  },
  {
    name: "banner-exchange",
    start: ["banner exchange: "],
    re: /^banner exchange: Connection from (\S+) port (\d+): .*$/,
    map: (m) => ({ kind: "no-ident", addr: m[1], port: m[2] }),
  },
  {
    name: "bad-protocol-version",
    start: ["Bad protocol version identification "],
    // Quoted since OpenSSH 3; the banner is client text, the address the last token but the port.
    re: new RegExp(`^Bad protocol version identification .* from ${A}(?: port ${P})?$`),
    map: (m) => ({ kind: "no-ident", addr: m[1], port: m[2] }),
  },
  {
    name: "protocol-mismatch",
    start: ["Protocol major versions differ for "],
    re: /^Protocol major versions differ for (\S+?)(?: port (\d+))?: .*$/,
    map: (m) => ({ kind: "no-ident", addr: m[1], port: m[2] }),
  },
  {
    // The address-less "kex_exchange_identification:" of OpenSSH 8+: the client closed, reset or
    // sent a bad banner before identifying; the address follows on "Connection closed by".
    name: "kex-identification",
    start: ["kex_exchange_identification: "],
    re: /^kex_exchange_identification: .*$/,
    map: () => ({ kind: "no-ident" }),
  },
  {
    name: "unable-to-negotiate",
    start: ["Unable to negotiate with "],
    re: /^Unable to negotiate with (\S+?)(?: port (\d+))?: no matching .*$/,
    map: (m) => ({ kind: "negotiation-failure", addr: m[1], port: m[2] }),
  },
  {
    // OpenSSH 6: "fatal: Unable to negotiate a key exchange method [preauth]",
    // "fatal: no matching mac found: client ... server ... [preauth]".
    name: "negotiation-no-address",
    start: ["Unable to negotiate a ", "no matching "],
    re: /^(?:Unable to negotiate a .*|no matching [^:]+ found(?:[:.].*)?)$/,
    map: () => ({ kind: "negotiation-failure" }),
  },
  {
    name: "max-auth-exceeded",
    start: ["maximum authentication attempts exceeded for "],
    re: new RegExp(
      `^maximum authentication attempts exceeded for (?:(?:invalid|illegal) user )?${U} from ${A} port ${P}(?: ssh\\d?)?$`,
    ),
    map: (m) => ({ kind: "max-auth", user: m[1], addr: m[2], port: m[3] }),
  },
  {
    name: "too-many-failures",
    start: ["Disconnecting "],
    re: new RegExp(`^Disconnecting ${WHO}${A} port ${P}: Too many authentication failures$`),
    map: (m) => ({ kind: "max-auth", user: m[1], addr: m[2], port: m[3] }),
  },
  {
    // A client that changed user name mid-way (the reason then quotes both client-chosen names:
    // client text on both sides of the address), or another reason sshd gave.
    name: "disconnecting",
    start: ["Disconnecting "],
    ...twoSided(
      "^Disconnecting (?:authenticating|invalid) user ",
      ` ${A} port ${P}: (.+)$`,
      1,
      " port ",
      "token",
    ),
    re: new RegExp(`^Disconnecting ${WHO}${A} port ${P}: (.+)$`),
    map: (m, preauth) => disconnecting(m[4]!, preauth || m[1] !== undefined, m[1], m[2], m[3]),
  },
  {
    // OpenSSH before 7: "Disconnecting: Too many authentication failures for root [preauth]".
    name: "disconnecting-no-address",
    start: ["Disconnecting: "],
    re: /^Disconnecting: (.+)$/,
    map: (m, preauth) => disconnecting(m[1]!, preauth, undefined, undefined, undefined),
  },
  {
    // OpenSSH's own word on a keyboard-interactive attempt PAM refused (auth-pam.c; FreeBSD,
    // macOS, any sshd with KbdInteractiveAuthentication): at the default log level often the
    // only line of such a guess, since sshd writes its `Failed keyboard-interactive/pam` only
    // from the MaxAuthTries/2-th failure of a valid user on. "via" names the local address.
    name: "pam-error",
    start: ["PAM: "],
    re: new RegExp(
      `^PAM: (?:[Aa]uthentication (?:failure|error)|[Uu]nknown user|User not known to the underlying authentication module) for (?:illegal user )?${U} from ${A}(?: via \\S+)?$`,
    ),
    map: (m) => ({ kind: "failure", method: KBDINT_PAM, user: m[1], addr: m[2] }),
  },
  {
    // Any reason (AllowUsers, DenyUsers, groups); the host is a name with UseDNS yes. The user is
    // an existing account and the reason sshd's own words, so the last " from " is the real one.
    name: "not-allowed",
    start: ["User "],
    re: new RegExp(`^User ${U} from ${A} not allowed because .+$`),
    map: (m) => ({ kind: "refused", user: m[1], addr: m[2] }),
  },
  {
    // "account is locked", "shell ... does not exist": sshd writes no host here.
    name: "not-allowed-no-address",
    start: ["User "],
    re: /^User (.+?) not allowed because .+$/,
    map: (m) => ({ kind: "refused", user: m[1] }),
  },
  {
    name: "root-refused",
    start: ["ROOT LOGIN REFUSED "],
    re: /^ROOT LOGIN REFUSED FROM (\S+?)(?: port (\d+))?$/,
    map: (m) => ({ kind: "refused", user: "root", addr: m[1], port: m[2] }),
  },
  {
    // tcp wrappers (sshd built with libwrap): "refused connect from NAME (ADDR)"; the name part
    // may carry an ident user ("user@host"), so the address is the last parenthesized token.
    name: "tcp-wrappers",
    start: ["refused connect from "],
    re: /^refused connect from (?:.* \(([^()\s]+)\)|(?:\S*@)?(\S+))$/,
    map: (m) => ({ kind: "refused", addr: m[1] ?? m[2] }),
  },
  {
    // OpenSSH 9.8+ PerSourcePenalties and MaxStartups, written by the listener.
    name: "drop-connection",
    start: ["drop connection #"],
    re: /^drop connection #\d+ from \[([^\]\s]+)\]:(\d+) on \[[^\]\s]+\]:\d+ (.*)$/,
    map: (m) => ({
      // OpenSSH's penalties (srclimit.c): only "failed authentication" follows refused logins;
      // "connections without attempting authentication" is what ssh-keyscan and health checks
      // earn, "exceeded LoginGraceTime" a slow client, "caused crash" and RefuseConnection no
      // login attempt either.
      kind: m[3] === "penalty: failed authentication" ? "refused" : "preauth-close",
      addr: m[1],
      port: m[2],
    }),
  },
  {
    name: "timeout",
    start: ["Timeout before authentication for "],
    // OpenSSH 9.8+ writes the session's pid: "... from A to B, pid = 1152348".
    re: /^Timeout before authentication for (?:connection from )?(\S+?)(?: to \S+,)?(?: port (\d+))?(?: pid = \d+)?$/,
    map: (m) => ({ kind: "timeout", addr: m[1], port: m[2] }),
  },
  {
    name: "connection-timed-out",
    start: ["Connection from "],
    re: new RegExp(`^Connection from ${WHO}${A} port ${P} timed out$`),
    map: (m) => ({ kind: "timeout", user: m[1], addr: m[2], port: m[3] }),
  },
  {
    // LogLevel VERBOSE: the first line of every connection; OpenSSH before 5 wrote the address only.
    name: "connect",
    start: ["Connection from "],
    re: /^Connection from (\S+?)(?: port (\d+)(?: on \S+ port \d+)?(?: rdomain .*)?)?$/,
    map: (m) => ({ kind: "connect", addr: m[1], port: m[2], opens: true }),
  },
  {
    // sshd's fatal transport errors: "ssh_dispatch_run_fatal: Connection from A port P: message
    // authentication code incorrect", with OpenSSH 8's user part; the error text follows.
    name: "transport-fatal",
    has: ": Connection from ",
    ...twoSided(
      "^[a-z0-9_]+: Connection from (?:authenticating|invalid) user ",
      ` ${A} port ${P}: .*$`,
      1,
      " port ",
      "token",
    ),
    re: new RegExp(`^[a-z0-9_]+: Connection from ${WHO}${A} port ${P}: .*$`),
    map: (m, preauth) => ({
      kind: "preauth-close",
      user: m[1],
      addr: m[2],
      port: m[3],
      preauthOnly: !preauth && m[1] === undefined,
    }),
  },
  {
    name: "socket-failed",
    start: ["Read from socket failed: ", "Write failed: "],
    re: /^(?:Read from socket failed|Write failed): .*$/,
    map: (_m, preauth) => (preauth ? { kind: "preauth-close" } : null),
  },
  {
    name: "read-error",
    start: ["Read error from remote host "],
    re: /^Read error from remote host (\S+?)(?: port (\d+))?: .*$/,
    map: (m, preauth) => (preauth ? { kind: "preauth-close", addr: m[1], port: m[2] } : null),
  },
  {
    // OpenSSH before 7.5 repeats "Invalid user" without the address once the request arrives.
    name: "userauth-invalid-user",
    start: ["input_userauth_request: "],
    re: /^input_userauth_request: (?:invalid|illegal) user (.*)$/,
    map: (m) => ({ kind: "invalid-user", user: m[1] }),
  },
  {
    // A patched sshd's connection log (Ltype Version opens, Kex and Authname follow).
    name: "ltype",
    start: ["SSH: Server;Ltype: "],
    re: /^SSH: Server;Ltype: (\w+);Remote: (\S+?)-(\d+);.*$/,
    map: (m) => (m[1] === "Version" ? { kind: "connect", addr: m[2], port: m[3], opens: true } : null),
  },
];

/** `Disconnecting ...: REASON`, with or without the address. */
function disconnecting(
  reason: string,
  preauth: boolean,
  user: string | undefined,
  addr: string | undefined,
  port: string | undefined,
): Mapped | null {
  if (reason.startsWith("Too many authentication failures")) {
    const u =
      user ?? (reason.startsWith("Too many authentication failures for ") ? reason.slice(37) : undefined);
    return { kind: "max-auth", user: u, addr, port };
  }
  if (reason.startsWith("Change of username or service not allowed"))
    return { kind: "refused", user, addr, port };
  return preauth ? { kind: "preauth-close", user, addr, port } : null;
}

/**
 * Lines that name their connection's address but are no event: sshd's UseDNS warnings, the
 * patched Ltype lines. They let later lines of the same pid find the address.
 */
const BINDING: { start: string; re: RegExp }[] = [
  { start: "Address ", re: /^Address (\S+) maps to \S+, but this does not map back to the address\b.*$/ },
  {
    start: "reverse mapping checking ",
    re: /^reverse mapping checking getaddrinfo for \S+ \[([^\]\s]+)\] failed\b.*$/,
  },
  { start: "Nasty PTR record ", re: /^Nasty PTR record ".*" is set up for (\S+), ignoring$/ },
  { start: "SSH: Server;Ltype: ", re: /^SSH: Server;Ltype: \w+;Remote: (\S+?)-(\d+);.*$/ },
];

/*
 * Every expression runs with the dotAll flag: a raw CR or U+2028 inside a message (journal
 * JSON carries them) is text like any other, and `.*$` always reaches the end. Without it, `.*$`
 * failed at a line break after each " from " of a long crafted line, in quadratic time.
 */
const dotAll = (re: RegExp) => new RegExp(re.source, re.flags + "s");
for (const p of SSHD_PATTERNS) {
  p.parser = `sshd/${p.name}`;
  p.re = dotAll(p.re);
  if (p.reD) p.reD = dotAll(p.reD);
  if (p.tail) p.tail = dotAll(p.tail);
}
for (const b of BINDING) b.re = dotAll(b.re);

/** Messages sshd writes that name no attacking address or carry no detection value. */
const IGNORED_STARTS = [
  "kex_exchange_identification:",
  "kex_protocol_error:",
  "Received disconnect from",
  "Disconnected from user",
  "Disconnected from",
  "Connection closed by user ",
  "Connection reset by user ",
  "Timeout, client not responding",
  "pam_",
  "PAM ",
  "Postponed",
  "Partial ",
  "Server listening",
  "Received signal",
  "Starting session",
  "Disconnecting",
  "Close session",
  "Transferred",
  "Read from socket failed",
  "Write failed",
  "Read error from remote host",
  "Bad packet length",
  "Corrupted MAC on input",
  "srclimit_penalise:",
  "beginning MaxStartups throttling",
  "exited MaxStartups throttling",
  "User child is on pid",
  "ssh_dispatch_run_fatal:",
  "SSH: Server;Ltype:",
];

/**
 * The patterns worth trying for a message, by its first character, in SSHD_PATTERNS order: a
 * line is tested against the two or three shapes that can start like it, not all of them.
 */
const BY_FIRST: SshdPattern[][] = [];
for (let c = 0; c < 128; c++) {
  BY_FIRST.push(
    SSHD_PATTERNS.filter((p) => p.has !== undefined || p.start?.some((s) => s.charCodeAt(0) === c)),
  );
}
const ANYWHERE = SSHD_PATTERNS.filter((p) => p.has !== undefined);

/**
 * Parses the message part of an sshd (or sshd-session / sshd-auth) line. Total: never throws; an
 * unrecognized message is `{ok:false, reason:"sshd-unrecognized"}`.
 */
export function parseSshd(message: string): SshdResult {
  let msg = message;
  // Strip a trailing CR (a CRLF file) without touching the message otherwise.
  if (msg.charCodeAt(msg.length - 1) === 13) msg = msg.slice(0, -1);
  let count: number | undefined;
  // rsyslog's reduction: `message repeated 5 times: [ Failed password for root from A port P ssh2]`.
  if (msg.startsWith("message repeated ")) {
    const r = repeated(msg);
    if (r === undefined) return { ok: false, reason: "sshd-unrecognized" };
    count = r.count;
    msg = r.inner;
  }
  // "error: ", "fatal: " and "warning: " level prefixes do not change the meaning.
  if (msg.startsWith("error: ") || msg.startsWith("fatal: ")) msg = msg.slice(7);
  else if (msg.startsWith("warning: ")) msg = msg.slice(9);
  let end = msg.length;
  while (end > 0 && (msg.charCodeAt(end - 1) === 32 || msg.charCodeAt(end - 1) === 9)) end--;
  // The privilege-separated child's lines end in " [preauth]" (OpenSSH 5.9+): once, at the end.
  const preauth = msg.endsWith(" [preauth]", end);
  if (preauth) end -= 10;
  if (end !== msg.length) msg = msg.slice(0, end);
  for (const p of BY_FIRST[msg.charCodeAt(0)] ?? ANYWHERE) {
    if (p.start ? !startsWithAny(msg, p.start) : p.has !== undefined && msg.indexOf(p.has) < 0) continue;
    const m = p.re.exec(msg);
    if (!m) continue;
    const f = p.map(m, preauth);
    if (f === null) return bindingOr(msg, { ok: false, reason: "sshd-ignored", pattern: p.name });
    const match = toMatch(p, f, count);
    if (match === undefined) return { ok: false, reason: "sshd-bad-address", pattern: p.name };
    if (p.tail && match.client !== "none" && occursTwice(msg, p.marker!)) {
      const alts = readingsOf(p, msg, preauth);
      if (alts.length > 1) {
        match.client = "ambiguous";
        match.addr = "";
        match.port = undefined;
        match.readings = alts;
      }
    }
    return match;
  }
  return bindingOr(msg, ignoredOr(msg));
}

/** `otherwise`, with the connection's address when the line is one that names it. */
function bindingOr(msg: string, otherwise: SshdResult): SshdResult {
  for (const b of BINDING) {
    if (!msg.startsWith(b.start)) continue;
    const m = b.re.exec(msg);
    const addr = m ? canonicalIp(m[1]!) : undefined;
    if (addr === undefined) break;
    const port = m![2] !== undefined ? Number(m![2]) : NaN;
    return { ok: false, reason: "sshd-ignored", bind: { addr, port: port <= 65535 ? port : undefined } };
  }
  return otherwise;
}

/** The match of a mapped line: its client read (undefined when the text is no address nor name). */
function toMatch(p: SshdPattern, f: Mapped, count: number | undefined): SshdMatch | undefined {
  let client: ClientKind = "none";
  let addr = "";
  let port: number | undefined;
  if (f.addr !== undefined && f.addr !== "UNKNOWN") {
    const ip = canonicalIp(f.addr);
    if (ip !== undefined) {
      client = "ip";
      addr = ip;
    } else {
      const name = hostName(f.addr);
      if (name === undefined) return undefined;
      client = "name";
      addr = name;
    }
    if (f.port !== undefined) {
      const n = Number(f.port);
      if (n <= 65535) port = n;
    }
  }
  return {
    ok: true,
    pattern: p.name,
    parser: p.parser!,
    kind: f.kind,
    client,
    addr,
    port,
    readings: undefined,
    user: f.user,
    method: f.method,
    count,
    opens: f.opens === true,
    authenticates: f.authenticates === true,
    closes: f.closes === true,
    preauthOnly: f.preauthOnly === true,
    afterFailure: f.afterFailure === true,
  };
}

/**
 * Text that reads as an sshd message even where no pattern takes it: a level prefix (`error: `),
 * an OpenSSH function name (`userauth_pubkey: `, `input_userauth_request: `), or the
 * privilege-separated child's closing ` [preauth]`. No LOG prefix a firewall writes looks so.
 */
export function shapedLikeSshd(msg: string): boolean {
  if (/^(?:error|fatal|warning|debug[1-3]?): /.test(msg)) return true;
  if (/^[a-z][a-z0-9]*(?:_[a-z0-9]+)+: /.test(msg)) return true;
  return msg.trimEnd().endsWith(" [preauth]");
}

function ignoredOr(msg: string): SshdResult {
  let m = msg;
  if (m.startsWith("error: ") || m.startsWith("fatal: ")) m = m.slice(7);
  for (const s of IGNORED_STARTS) if (m.startsWith(s)) return { ok: false, reason: "sshd-ignored" };
  return { ok: false, reason: "sshd-unrecognized" };
}

/** `message repeated N times: [ inner]` → N and inner; undefined when malformed. */
function repeated(msg: string): { count: number; inner: string } | undefined {
  let i = 17;
  let n = 0;
  while (i < msg.length && i < 27 && msg.charCodeAt(i) >= 48 && msg.charCodeAt(i) <= 57) {
    n = n * 10 + msg.charCodeAt(i) - 48;
    i++;
  }
  if (i === 17 || n < 1) return undefined;
  if (!msg.startsWith(" times: [", i) || msg.charCodeAt(msg.length - 1) !== 93) return undefined;
  let from = i + 9;
  if (msg.charCodeAt(from) === 32) from++;
  return { count: n, inner: msg.slice(from, -1) };
}

function startsWithAny(msg: string, starts: readonly string[]): boolean {
  for (const s of starts) if (msg.startsWith(s)) return true;
  return false;
}

/**
 * Places a line's user name may end at (with the rest a valid tail) that are examined: a line
 * with more is refused as ambiguous. Checking a place that fails costs the length of one token;
 * one that succeeds may cost the rest of the line, hence the bound (linear time).
 */
const MAX_SPLITS = 32;

/** Stands for the readings not examined past MAX_SPLITS: matches no connection's address. */
const UNEXAMINED: Alternative = {
  addr: "",
  port: undefined,
  kind: "failure",
  user: undefined,
  method: undefined,
};

/**
 * Every reading of a two-sided line: one per place the user name can end such that the rest is
 * the shape's fixed tail. Distinct clients only (same address and port: one reading).
 */
function readingsOf(p: SshdPattern, msg: string, preauth: boolean): Alternative[] {
  const md = p.reD!.exec(msg);
  const at = md?.indices?.[p.userGroup!];
  if (!md || !at) return [];
  const userStart = at[0];
  const out: Alternative[] = [];
  const tail = p.tail!;
  let valid = 0;
  for (let pos = msg.indexOf(p.marker!, userStart); pos >= 0; pos = msg.indexOf(p.marker!, pos + 1)) {
    const i = p.split === "marker" ? pos : msg.lastIndexOf(" ", pos - 1);
    if (i < userStart) continue;
    tail.lastIndex = i;
    const t = tail.exec(msg);
    if (!t) continue;
    if (++valid > MAX_SPLITS) return [...out, UNEXAMINED, UNEXAMINED];
    const groups = [msg, ...md.slice(1, p.userGroup), msg.slice(userStart, i), ...t.slice(1)];
    const f = p.map(groups as unknown as RegExpExecArray, preauth);
    const m = f ? toMatch(p, f, undefined) : undefined;
    if (m && (m.client === "ip" || m.client === "name")) {
      if (!out.some((a) => a.addr === m.addr && a.port === m.port)) {
        out.push({ addr: m.addr, port: m.port, kind: m.kind, user: m.user, method: m.method });
      }
    }
  }
  return out;
}

function occursTwice(msg: string, marker: string): boolean {
  const first = msg.indexOf(marker);
  return first >= 0 && msg.indexOf(marker, first + 1) >= 0;
}

/** A DNS name as sshd writes it with UseDNS yes: letters, digits, `.-_`, at least one letter. */
export function hostName(s: string): string | undefined {
  if (s.length === 0 || s.length > 253) return undefined;
  let letter = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) letter = true;
    else if (!((c >= 48 && c <= 57) || c === 0x2e /* . */ || c === 0x2d /* - */ || c === 0x5f /* _ */))
      return undefined;
  }
  const first = s.charCodeAt(0);
  if (!letter || first === 0x2e || first === 0x2d) return undefined;
  return s.toLowerCase();
}
