import { createHash } from "node:crypto";
import type { AuthEvent, Event } from "../../events/event.js";
import type { CompiledRule } from "../../rules/compiled-rule.js";
import { member, tag, type Aggregator, type KeyAgg } from "../aggregator.js";
import { count, type Detector, type Verdict } from "../detector.js";
import type { WindowSnapshot } from "../window-store.js";

/**
 * What counts as a failed authentication. PAM's own lines (`pam_unix(sshd:auth)`, `PAM n more`)
 * repeat failures sshd already logged as `Failed ...`, so they are not counted twice.
 */
export function isFailure(e: AuthEvent): boolean {
  return (e.kind === "failure" && e.method !== "pam") || e.kind === "invalid-user" || e.kind === "refused";
}

/** User names are attacker-written: bounded and made printable before they are stored. */
function safeUser(u: string | undefined): string {
  const s = (u ?? "").slice(0, 64);
  return JSON.stringify(s).slice(1, -1);
}

/** Repeated SSH authentication failures: from one source, or against one account from many sources. */
export class SshBruteforce implements Detector {
  readonly phase = 0;
  constructor(readonly rule: CompiledRule) {}

  collect(e: Event, agg: Aggregator): void {
    if (e.type !== "auth" || !isFailure(e)) return;
    const user = safeUser(e.user);
    if (this.rule.groupBy === "src") {
      const a = agg.add(e.src, e, e.src, null, "ssh", 1, "single-source");
      member(a, "user", user, e.ms);
      tag(a, e.kind);
    } else {
      if (e.user === undefined) return;
      const key = "u:" + createHash("sha256").update(user).digest("hex").slice(0, 32);
      const a = agg.add(key, e, null, null, "ssh", 1, "many-sources-one-account");
      member(a, "src", e.src, e.ms);
      member(a, "user", user, e.ms);
      tag(a, e.kind);
    }
  }

  judge(_a: KeyAgg, s: WindowSnapshot): Verdict | undefined {
    if (s.events < this.rule.threshold) return undefined;
    const kinds = Object.entries(s.tags)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    if (this.rule.groupBy === "src") {
      return {
        measure: s.events,
        type: "ssh-bruteforce",
        technique: "single-source",
        evidence: [
          `${s.events} failed SSH authentications from one source in ${this.rule.windowMs / 60000} min (${kinds})`,
          `${count(s, "user")} distinct user name(s) tried`,
        ],
        dims: {},
      };
    }
    const sources = count(s, "src");
    if (sources < this.rule.minSources) return undefined;
    return {
      measure: s.events,
      type: "ssh-bruteforce",
      technique: "many-sources-one-account",
      evidence: [
        `${s.events} failed SSH authentications for one account from ${sources} sources in ${this.rule.windowMs / 60000} min (${kinds})`,
      ],
      dims: { sources: "src" },
    };
  }
}
