import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";

/** Where one agent keeps what must survive a restart: its tail positions and its webhook spool. */
export interface StateLocation {
  /** The directory both live in (unless --spool moves the spool). */
  dir: string;
  /** The tail position state file. */
  statePath: string;
  /** The parent of the webhook spools (each webhook queues in its own subdirectory). */
  spoolDir: string;
  /** What decided `dir`, for messages. */
  decidedBy: "--state" | "STATE_DIRECTORY" | "/var/lib/scanwatch" | "XDG_STATE_HOME" | "~/.local/state";
}

export interface StateFlags {
  /** `--state`: a directory (existing, or written with a trailing `/`) or the state file itself. */
  state?: string;
  /** `--spool`: the spool parent, wherever the state is. */
  spool?: string;
}

export interface FsView {
  isWritableDir(dir: string): boolean;
  exists(path: string): boolean;
  isDir(path: string): boolean;
}

const VAR_LIB = "/var/lib/scanwatch";

/**
 * Decides state and spool together, so that one agent's files stay together and a second agent
 * told to use other state gets another spool too: `--state` first; else `$STATE_DIRECTORY`
 * (systemd's StateDirectory=; the first of a `:` list); else /var/lib/scanwatch when it (or
 * /var/lib, to create it) is writable; else `$XDG_STATE_HOME/scanwatch` (absolute only, as the XDG
 * spec requires), else ~/.local/state/scanwatch. The state file is `state.json` in that directory
 * unless `--state` names a file; the spool is `spool/` beside it unless `--spool` says otherwise.
 * Pure but for `fs`.
 */
export function resolveStateLocation(
  flags: StateFlags,
  env: NodeJS.ProcessEnv = process.env,
  fs: FsView = realFs,
): StateLocation {
  let dir: string;
  let statePath: string | undefined;
  let decidedBy: StateLocation["decidedBy"];
  const stateDirectory = env["STATE_DIRECTORY"]?.split(":")[0];
  if (flags.state) {
    decidedBy = "--state";
    if (flags.state.endsWith("/") || fs.isDir(flags.state)) dir = flags.state.replace(/(.)\/+$/, "$1");
    else {
      statePath = flags.state;
      dir = dirname(flags.state);
    }
  } else if (stateDirectory) {
    decidedBy = "STATE_DIRECTORY";
    dir = stateDirectory;
  } else if (fs.isWritableDir(VAR_LIB) || (!fs.exists(VAR_LIB) && fs.isWritableDir("/var/lib"))) {
    decidedBy = "/var/lib/scanwatch";
    dir = VAR_LIB;
  } else {
    const xdg = env["XDG_STATE_HOME"];
    decidedBy = xdg && isAbsolute(xdg) ? "XDG_STATE_HOME" : "~/.local/state";
    dir = join(xdg && isAbsolute(xdg) ? xdg : join(env["HOME"] || homedir(), ".local", "state"), "scanwatch");
  }
  return {
    dir,
    statePath: statePath ?? join(dir, "state.json"),
    spoolDir: flags.spool ?? join(dir, "spool"),
    decidedBy,
  };
}

const realFs: FsView = {
  isWritableDir(dir) {
    try {
      if (!statSync(dir).isDirectory()) return false;
      accessSync(dir, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  exists(p) {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  },
  isDir(p) {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
};
