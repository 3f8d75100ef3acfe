import { parseCommand, PARSE_HELP } from "./parse.js";
import { watchStdout } from "./stdout-closed.js";
import { RuntimeError, UsageError } from "./usage-error.js";

const HELP = `scanwatch: finds port scans, floods and SSH brute force in firewall and sshd logs

Usage:
  scanwatch analyze [options] FILE...   detect attacks in log files (plain or .gz, - for stdin)
  scanwatch tail [options] [FILE...]    follow live logs and alert as attacks happen
  scanwatch parse [options] FILE...     print the normalized events (debugging, --explain)
  scanwatch rules check [DIR]           validate rule files

Run "scanwatch COMMAND --help" for the options of a command.
`;

type Command = (argv: string[]) => Promise<number>;

async function load(name: string): Promise<Command | undefined> {
  switch (name) {
    case "parse":
      return parseCommand;
    case "analyze":
      return (await import("./analyze.js")).analyzeCommand;
    case "tail":
      return (await import("./tail.js")).tailCommand;
    case "rules":
      return (await import("./rules.js")).rulesCommand;
    default:
      return undefined;
  }
}

/** Runs the CLI; returns the exit status (0 ok, 1 runtime error, 2 usage error). The only place that decides exits. */
export async function main(argv: string[]): Promise<number> {
  watchStdout();
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    process.stdout.write("scanwatch 0.1.0\n");
    return 0;
  }
  try {
    const cmd = await load(name);
    if (!cmd) throw new UsageError(`unknown command "${name}"`);
    return await cmd(rest);
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ||
      (e as { code?: string }).code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" ||
      (e as { code?: string }).code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL"
    ) {
      process.stderr.write(
        `scanwatch: ${(e as Error).message}\n${name === "parse" ? PARSE_HELP : 'Run "scanwatch --help" for usage.\n'}`,
      );
      return 2;
    }
    if (e instanceof RuntimeError || (e as { code?: string }).code !== undefined) {
      process.stderr.write(`scanwatch: ${(e as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`scanwatch: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
