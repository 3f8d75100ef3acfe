import { parseCommand } from "./parse.js";
import { watchStdout } from "./stdout-closed.js";
import { RuntimeError, UsageError } from "./usage-error.js";

const HELP = `scanwatch: finds port scans, floods and SSH brute force in firewall and sshd logs

Usage:
  scanwatch analyze [options] FILE...   detect attacks in log files (plain or .gz, - for stdin)
  scanwatch tail [options] [FILE...]    follow live logs and alert as attacks happen
  scanwatch parse [options] FILE...     print the normalized events (debugging, --explain)
  scanwatch rules check [DIR|FILE...]   validate rule files
  scanwatch rules schema                print the rule JSON Schema (assembled from the detectors)
  scanwatch status [options]            what a running tail sees: files, lag, incidents, top sources

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
    case "status":
      return (await import("./status.js")).statusCommand;
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
    const usage = usageMessage(e, name);
    if (usage !== undefined) {
      process.stderr.write(`scanwatch: ${usage}\n${hint(name)}`);
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

const COMMANDS = new Set(["analyze", "tail", "parse", "rules", "status"]);

/** The line after a usage error: that command's help when it is one, else the general help. */
function hint(name: string): string {
  return COMMANDS.has(name)
    ? `Run "scanwatch ${name} --help" for its options.\n`
    : 'Run "scanwatch --help" for usage.\n';
}

/**
 * The message of a usage error, or undefined when `e` is not one. node:util's parseArgs errors are
 * reworded to name the command and the option alone ("Unknown option '--bogus'. To specify a
 * positional argument starting with a '-', place it at the end..." is about a case nobody has).
 */
function usageMessage(e: unknown, name: string): string | undefined {
  if (e instanceof UsageError) return e.message;
  const code = (e as { code?: string }).code;
  const msg = (e as Error).message ?? "";
  const option = /'(-[^' ]+)/.exec(msg)?.[1];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `${name}: unknown option ${option ?? msg}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing/.test(msg) && option
        ? `${name}: ${option} needs a value`
        : /does not take an argument/.test(msg) && option
          ? `${name}: ${option} takes no value`
          : `${name}: ${msg}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `${name}: ${msg}`;
    default:
      return undefined;
  }
}
