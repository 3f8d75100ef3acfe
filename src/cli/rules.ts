import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { CompiledRule } from "../rules/compiled-rule.js";
import { loadRuleFile, loadRules, RuleError, SHIPPED_RULES_DIR } from "../rules/load-rules.js";
import { ruleSchema } from "../rules/rule-schema.js";
import { UsageError } from "./usage-error.js";

export const RULES_HELP = `scanwatch rules check [DIR | FILE...]
scanwatch rules schema

check: validates rule files against rules/rule.schema.json and the cross-field checks: every
*.json of DIR (default: the shipped rules/) but *.schema.json, or the FILEs given (a
*.schema.json among several is skipped). Problems are listed as file:
/pointer: message. Exit status 0 when all are valid, 1 otherwise.
schema: prints the rule JSON Schema, assembled from the detector modules (rules/rule.schema.json
is this output).
`;

export async function rulesCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  const [sub, ...paths] = positionals;
  if (values.help || sub === undefined) {
    process.stdout.write(RULES_HELP);
    return values.help ? 0 : 2;
  }
  if (sub === "schema" && paths.length === 0) {
    process.stdout.write(JSON.stringify(ruleSchema(), null, 2) + "\n");
    return 0;
  }
  if (sub !== "check")
    throw new UsageError(
      `rules: unknown subcommand "${sub}" (expected: rules check [DIR | FILE...] or rules schema)`,
    );
  const where = paths.length ? paths : [SHIPPED_RULES_DIR];
  const problems: string[] = [];
  let valid = 0;
  for (const path of where) {
    // `rules check rules/*.json` names the schema too: skipped, as a folder's check skips it.
    if (path.endsWith(".schema.json") && paths.length > 1) {
      process.stdout.write(`skip ${path} (a JSON Schema, not a rule)\n`);
      continue;
    }
    try {
      const rules = (await isFile(path)) ? [await loadRuleFile(path)] : await loadRules(path);
      for (const r of rules) process.stdout.write(describe(r));
      valid += rules.length;
    } catch (e) {
      if (!(e instanceof RuleError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length) {
    process.stderr.write(`scanwatch: invalid rules:\n  ${problems.join("\n  ")}\n`);
    return 1;
  }
  const checked = where.filter((p) => !(p.endsWith(".schema.json") && paths.length > 1));
  process.stdout.write(
    `${valid} rules valid in ${checked.length > 2 ? `${checked.length} files` : checked.join(", ")}\n`,
  );
  return 0;
}

function describe(r: CompiledRule): string {
  return `ok  ${r.id.padEnd(20)} ${r.detector.padEnd(16)} window ${r.windowMs / 1000}s threshold ${r.threshold}${r.slow ? " slow" : ""}\n`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false; // loadRules says what is wrong with it
  }
}
