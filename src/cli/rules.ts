import { parseArgs } from "node:util";
import { loadRules, RuleError, SHIPPED_RULES_DIR } from "../rules/load-rules.js";
import { ruleSchema } from "../rules/rule-schema.js";
import { UsageError } from "./usage-error.js";

export async function rulesCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  const [sub, dir, ...extra] = positionals;
  if (values.help || sub === undefined) {
    process.stdout.write(
      "scanwatch rules check [DIR]   validate every rule file in DIR (default: the shipped rules/)\n" +
        "scanwatch rules schema        print the rule JSON Schema, assembled from the detectors\n",
    );
    return values.help ? 0 : 2;
  }
  if (sub === "schema" && dir === undefined) {
    process.stdout.write(JSON.stringify(ruleSchema(), null, 2) + "\n");
    return 0;
  }
  if (sub !== "check" || extra.length)
    throw new UsageError(
      `rules: unknown subcommand "${positionals.join(" ")}" (expected: rules check [DIR] or rules schema)`,
    );
  const where = dir ?? SHIPPED_RULES_DIR;
  try {
    const rules = await loadRules(where);
    for (const r of rules) {
      process.stdout.write(
        `ok  ${r.id.padEnd(20)} ${r.detector.padEnd(16)} window ${r.windowMs / 1000}s threshold ${r.threshold}${r.slow ? " slow" : ""}\n`,
      );
    }
    process.stdout.write(`${rules.length} rules valid in ${where}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RuleError) {
      process.stderr.write(`scanwatch: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
