import { spawn, type ChildProcess } from "node:child_process";
import type { Diagnostics } from "../diagnostics.js";
import { LineSplitter } from "./line-splitter.js";
import type { RawLine } from "./line.js";

/** journalctl matches for kernel messages and sshd (OpenSSH < 9.8 and ≥ 9.8), OR-ed with "+". */
export const JOURNAL_MATCHES = [
  "_TRANSPORT=kernel",
  "+",
  "_COMM=sshd",
  "+",
  "_COMM=sshd-session",
  "+",
  "SYSLOG_IDENTIFIER=sshd",
];

/**
 * Follows the systemd journal through `journalctl -f -o json`, for systems without auth.log.
 * Each JSON entry is one line, parsed by the journal-json header parser. Starts at the end
 * (`-n 0`) unless `fromStart`; `cursor` resumes after a saved `__CURSOR`.
 */
export function followJournal(opts: {
  fromStart: boolean;
  cursor?: string;
  diagnostics: Diagnostics;
  command?: string;
}): {
  lines: AsyncIterable<RawLine[]>;
  stop: () => void;
} {
  const args = ["-f", "-o", "json", "--no-pager"];
  if (opts.cursor) args.push(`--after-cursor=${opts.cursor}`);
  else if (!opts.fromStart) args.push("-n", "0");
  args.push(...JOURNAL_MATCHES);
  const child: ChildProcess = spawn(opts.command ?? "journalctl", args, {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stopped = false;
  child.stderr?.on("data", (d: Buffer) =>
    opts.diagnostics.report("warn", "journal_stderr", `journalctl: ${d.toString().trim().slice(0, 300)}`),
  );
  child.on("error", (e) =>
    opts.diagnostics.report("error", "journal_failed", `cannot run journalctl: ${e.message}`),
  );
  async function* lines(): AsyncGenerator<RawLine[]> {
    const splitter = new LineSplitter();
    let n = 0;
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      const texts = splitter.push(chunk);
      const batch: RawLine[] = [];
      for (const text of texts) {
        n++;
        if (text !== null) batch.push({ text, file: "journal", line: n });
      }
      if (batch.length) yield batch;
    }
    if (!stopped)
      opts.diagnostics.report("error", "journal_ended", `journalctl exited (code ${child.exitCode ?? "?"})`);
  }
  return {
    lines: lines(),
    stop: () => {
      stopped = true;
      child.kill("SIGTERM");
    },
  };
}
