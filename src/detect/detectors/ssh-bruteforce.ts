import { createHash } from "node:crypto";
import type { AuthEvent } from "../../events/event.js";
import type { DetectorModule } from "../detector.js";
import { detach } from "../../util/detach.js";
import { kindsEvidence } from "./kinds-evidence.js";
import { minSources } from "./params.js";

/**
 * What counts as a failed authentication. PAM modules' lines (`pam_unix(sshd:auth)`, `PAM n
 * more`) repeat failures sshd logged itself (`Failed ...`, or its own `error: PAM: ...` for a
 * keyboard-interactive guess, method keyboard-interactive/pam), so they are not counted twice. A valid
 * user's `Failed publickey` is a client offering the keys it holds one after the other until one
 * fits (sshd logs them at INFO once the connection's failures reach half of MaxAuthTries): an ssh-agent with many keys,
 * a backup job reconnecting, never a password guess. As fail2ban's sshd filter (publickey is
 * NOFAIL there), they do not count; a publickey attempt for a user that does not exist still
 * does, through its `Invalid user` line. Nor does `Failed none`: every client first asks for the
 * `none` method to learn which ones the server offers, and at the default LogLevel sshd logs
 * that failure for a user that does not exist, whose `Invalid user` line counts already (one
 * invalid-user guess was three failures: Invalid user, Failed none, Failed password).
 */
export function isFailure(e: AuthEvent): boolean {
  return (
    (e.kind === "failure" && e.method !== "pam" && e.method !== "publickey" && e.method !== "none") ||
    e.kind === "invalid-user" ||
    e.kind === "refused"
  );
}

/**
 * A user name as stored (user names are attacker-written: bounded to 64 characters and made
 * printable) and the key of its account: a hash, so that no name a client sends can shape a key. Remembered for the last few thousand names: a brute force tries the
 * same few accounts over and over, and hashing each failure again was a tenth of analyze on
 * an auth log.
 */
function accountOf(u: string | undefined): { safe: string; key: string } {
  const name = (u ?? "").slice(0, 64);
  let a = ACCOUNTS.get(name);
  if (a === undefined) {
    const safe = JSON.stringify(name).slice(1, -1);
    a = { safe, key: "u:" + createHash("sha256").update(safe).digest("hex").slice(0, 32) };
    if (ACCOUNTS.size >= MAX_ACCOUNTS) ACCOUNTS.clear();
    ACCOUNTS.set(detach(name), a);
  }
  return a;
}
const ACCOUNTS = new Map<string, { safe: string; key: string }>();
const MAX_ACCOUNTS = 4096;

interface Params {
  groupBy: "src" | "user";
  minSources: number;
}

const KINDS = ["failure", "invalid-user", "refused"] as const;
const USER = 0;
const SRC = 1;

const KIND_NAMES = {
  failure: "failed passwords or other methods",
  "invalid-user": "user names that do not exist",
  refused: "users sshd refuses (AllowUsers, DenyUsers)",
} as const;

/** Repeated SSH authentication failures: from one source, or against one account from many sources. */
export const sshBruteforce: DetectorModule<Params> = {
  name: "ssh-bruteforce",
  params: {
    groupBy: {
      enum: ["src", "user"],
      description:
        "ssh-bruteforce: count failures per source address (src) or per account across sources (user).",
    },
    minSources: minSources("ssh-bruteforce with groupBy user"),
  },
  requiredParams: ["groupBy"],
  alertTypes: ["ssh-bruteforce"],
  measure: { what: "failed authentications", max: Infinity, of: (s) => s.events() },
  accepts: ["auth"],
  dims: ["user", "src"],
  tags: KINDS,
  compile(spec, problems) {
    const groupBy = spec.groupBy as Params["groupBy"];
    if (groupBy === "user" && spec.minSources === undefined)
      problems.push("/minSources: required by detector ssh-bruteforce with groupBy user");
    if (groupBy === "src" && spec.minSources !== undefined)
      problems.push("/minSources: only used with groupBy user");
    return { groupBy, minSources: (spec.minSources as number | undefined) ?? 1 };
  },
  stateKey: (rule) => rule.params.groupBy,
  feed(e, ctx, rule) {
    if (e.type !== "auth" || !isFailure(e)) return;
    const account = accountOf(e.user);
    const user = account.safe;
    const n = e.count ?? 1;
    const kind = KINDS.indexOf(e.kind as (typeof KINDS)[number]);
    if (rule.params.groupBy === "src") {
      const k = ctx.touch(e.src, e, e.src, null, "ssh", "single-source");
      ctx.count(k, e, n);
      ctx.member(k, USER, user, e);
      ctx.tag(k, kind, n);
      ctx.check(k, -1);
    } else {
      if (e.user === undefined) return;
      const k = ctx.touch(account.key, e, null, null, "ssh", "many-sources-one-account");
      ctx.count(k, e, n);
      ctx.member(k, SRC, e.src, e);
      ctx.member(k, USER, user, e);
      ctx.tag(k, kind, n);
      ctx.check(k, -1);
    }
  },
  judge(s, rule) {
    const events = s.events();
    if (events < rule.threshold) return undefined;
    const kinds = kindsEvidence(
      KINDS.map((k) => [k, s.tag(k)] as const).filter(([, n]) => n > 0),
      KIND_NAMES,
      "these attempts began",
    );
    if (rule.params.groupBy === "src") {
      return {
        measure: events,
        type: "ssh-bruteforce",
        technique: "single-source",
        evidence: [
          `${events} failed SSH authentications from one source in ${rule.windowMs / 60000} min`,
          ...kinds,
          `${s.distinct("user")} distinct user name(s) tried`,
        ],
        dims: {},
      };
    }
    const sources = s.distinct("src");
    if (sources < rule.params.minSources) return undefined;
    return {
      measure: events,
      type: "ssh-bruteforce",
      technique: "many-sources-one-account",
      evidence: [
        `${events} failed SSH authentications for one account from ${sources} sources in ${rule.windowMs / 60000} min`,
        ...kinds,
      ],
      dims: { sources: "src" },
    };
  },
};
