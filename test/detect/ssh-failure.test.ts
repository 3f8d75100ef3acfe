import { describe, expect, it } from "vitest";
import { isFailure } from "../../src/detect/detectors/ssh-bruteforce.js";
import type { AuthEvent, AuthKind } from "../../src/events/event.js";

/* Which sshd events count as a failed authentication for ssh-bruteforce and ssh-account-spray. */

function auth(kind: AuthKind, method?: string): AuthEvent {
  return {
    type: "auth",
    service: "sshd",
    kind,
    src: "198.51.100.7",
    user: "root",
    ...(method ? { method } : {}),
    ts: "2026-11-28T12:00:00.000+00:00",
    ms: 0,
    host: "h",
    source: { file: "auth.log", line: 1 },
  };
}

describe("ssh-failure/what counts", () => {
  it.each<[string, AuthEvent, boolean]>([
    ["Failed password", auth("failure", "password"), true],
    ["Failed keyboard-interactive/pam", auth("failure", "keyboard-interactive/pam"), true],
    // The `none` request every client sends first: logged for invalid users, who count already.
    ["Failed none", auth("failure", "none"), false],
    ["Invalid user", auth("invalid-user"), true],
    ["refused (AllowUsers, DenyUsers)", auth("refused"), true],
    // A valid user's client offering its keys one after the other: no guess (fail2ban: NOFAIL).
    ["Failed publickey of a valid user", auth("failure", "publickey"), false],
    // PAM repeats what sshd logged as Failed ...: counted once, there.
    ["pam_unix authentication failure", auth("failure", "pam"), false],
    ["maximum authentication attempts exceeded", auth("max-auth"), false],
    ["Accepted password", auth("success", "password"), false],
    ["Connection closed [preauth]", auth("preauth-close"), false],
  ])("ssh-failure/%s", (_name, e, expected) => {
    expect(isFailure(e)).toBe(expected);
  });
});
