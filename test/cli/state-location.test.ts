import { describe, expect, it } from "vitest";
import { resolveStateLocation, type FsView, type StateFlags } from "../../src/cli/state-location.js";
import { judgeLock, type LockVerdict, type ProcessView } from "../../src/util/pid-lock.js";

/** A machine where `writable` directories are writable and `dirs` exist. */
function fsWith(writable: string[], dirs: string[] = writable): FsView {
  return {
    isWritableDir: (d) => writable.includes(d),
    exists: (p) => dirs.includes(p),
    isDir: (p) => dirs.includes(p),
  };
}

const HOME = { HOME: "/home/u" };

const cases: [string, StateFlags, NodeJS.ProcessEnv, FsView, [string, string, string]][] = [
  [
    "--state FILE: state there, spool beside it",
    { state: "/srv/a/positions.json" },
    { STATE_DIRECTORY: "/var/lib/scanwatch" },
    fsWith(["/var/lib/scanwatch"]),
    ["/srv/a", "/srv/a/positions.json", "/srv/a/spool"],
  ],
  [
    "--state DIR (existing)",
    { state: "/srv/b" },
    HOME,
    fsWith([], ["/srv/b"]),
    ["/srv/b", "/srv/b/state.json", "/srv/b/spool"],
  ],
  [
    "--state DIR/ (to be created)",
    { state: "/srv/c/" },
    HOME,
    fsWith([]),
    ["/srv/c", "/srv/c/state.json", "/srv/c/spool"],
  ],
  [
    "--spool moves only the spool",
    { state: "/srv/b", spool: "/big/spool" },
    HOME,
    fsWith([], ["/srv/b"]),
    ["/srv/b", "/srv/b/state.json", "/big/spool"],
  ],
  [
    "STATE_DIRECTORY (systemd; the first of a list)",
    {},
    { STATE_DIRECTORY: "/var/lib/scanwatch:/var/lib/other" },
    fsWith([]),
    ["/var/lib/scanwatch", "/var/lib/scanwatch/state.json", "/var/lib/scanwatch/spool"],
  ],
  [
    "/var/lib/scanwatch when writable",
    {},
    HOME,
    fsWith(["/var/lib/scanwatch"]),
    ["/var/lib/scanwatch", "/var/lib/scanwatch/state.json", "/var/lib/scanwatch/spool"],
  ],
  [
    "/var/lib/scanwatch when /var/lib is writable to create it",
    {},
    HOME,
    fsWith(["/var/lib"]),
    ["/var/lib/scanwatch", "/var/lib/scanwatch/state.json", "/var/lib/scanwatch/spool"],
  ],
  [
    "not /var/lib/scanwatch when it exists read-only",
    {},
    HOME,
    fsWith(["/var/lib"], ["/var/lib", "/var/lib/scanwatch"]),
    [
      "/home/u/.local/state/scanwatch",
      "/home/u/.local/state/scanwatch/state.json",
      "/home/u/.local/state/scanwatch/spool",
    ],
  ],
  [
    "XDG_STATE_HOME",
    {},
    { ...HOME, XDG_STATE_HOME: "/home/u/.st" },
    fsWith([]),
    ["/home/u/.st/scanwatch", "/home/u/.st/scanwatch/state.json", "/home/u/.st/scanwatch/spool"],
  ],
  [
    "a relative XDG_STATE_HOME is ignored, as the XDG spec says",
    {},
    { ...HOME, XDG_STATE_HOME: "rel" },
    fsWith([]),
    [
      "/home/u/.local/state/scanwatch",
      "/home/u/.local/state/scanwatch/state.json",
      "/home/u/.local/state/scanwatch/spool",
    ],
  ],
];

describe("state location", () => {
  it.each(cases)("state-location/%s", (_name, flags, env, fs, [dir, statePath, spoolDir]) => {
    expect(resolveStateLocation(flags, env, fs)).toMatchObject({ dir, statePath, spoolDir });
  });
});

const procs = (alive: number[], commands: Record<number, string> = {}): ProcessView => ({
  host: "fw1",
  alive: (pid) => alive.includes(pid),
  commandOf: (pid) => commands[pid],
});
const lock = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    pid: 4242,
    host: "fw1",
    since: "2026-11-28T16:00:00.000Z",
    command: "bin/scanwatch tail",
    ...over,
  });
const holder = { pid: 4242, host: "fw1", since: "2026-11-28T16:00:00.000Z", command: "bin/scanwatch tail" };

const lockCases: [string, string, ProcessView, LockVerdict][] = [
  [
    "its holder runs",
    lock(),
    procs([4242], { 4242: "node /opt/scanwatch/bin/scanwatch tail" }),
    { kind: "held", holder },
  ],
  ["its holder runs, command line unreadable", lock(), procs([4242]), { kind: "held", holder }],
  ["its holder is gone (kill -9)", lock(), procs([]), { kind: "stale", why: "process 4242 is gone" }],
  [
    "the pid was reused by something else",
    lock(),
    procs([4242], { 4242: "/usr/sbin/cron -f" }),
    { kind: "stale", why: "process 4242 is no longer scanwatch" },
  ],
  [
    "another host's lock cannot be checked: held",
    lock({ host: "fw2" }),
    procs([]),
    { kind: "held", holder: { ...holder, host: "fw2" } },
  ],
  ["empty file", "", procs([]), { kind: "stale", why: "the lock file is not one scanwatch wrote" }],
  ["not ours", '{"pid": "x"}', procs([]), { kind: "stale", why: "the lock file is not one scanwatch wrote" }],
];

describe("lock verdict", () => {
  it.each(lockCases)("lock/%s", (_name, content, p, want) => {
    expect(judgeLock(content, p)).toEqual(want);
  });
});
