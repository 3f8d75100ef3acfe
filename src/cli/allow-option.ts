import type { Diagnostics } from "../diagnostics.js";
import { AllowList } from "../rules/allow-list.js";
import { UsageError } from "./usage-error.js";

export const ALLOW_HELP = `  --allow CIDR            never examine this source, under any rule (repeatable; an address or a
                          range, IPv4 or IPv6: a monitoring host, an office network)
`;

/**
 * The global allow-list from `--allow` (or `allow` in the config file), counted in
 * `scanwatch_events_allowed_total`; `undefined` when empty. A bad entry is a usage error.
 */
export function allowListFrom(
  entries: string[] | undefined,
  diagnostics: Diagnostics,
): AllowList | undefined {
  if (!entries?.length) return undefined;
  const list = AllowList.compile(entries, () => diagnostics.count("scanwatch_events_allowed_total"));
  if (typeof list === "string") throw new UsageError(`--allow: ${list}`);
  return list;
}
