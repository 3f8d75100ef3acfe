import type { PacketAction } from "../events/event.js";

/**
 * How a LOG prefix names the firewall's verdict. Checked in order, case-insensitive substring
 * match against the prefix; the first hit wins. The defaults cover UFW (`[UFW BLOCK]`,
 * `[UFW ALLOW]`, `[UFW AUDIT]`, `[UFW LIMIT BLOCK]`), firewalld (`FINAL_REJECT:`,
 * `filter_IN_public_REJECT:`, `..._DROP:`), and common hand-written prefixes (`DROP`, `REJECT`,
 * `ACCEPT`, `BLOCK`, `DENY`). A prefix that matches nothing is `unknown`; a line with no
 * prefix is `unknown` too. Users override the list with `--action-map FILE` (JSON array of
 * `{"match": "...", "action": "..."}`).
 */
export interface ActionMapEntry {
  match: string;
  action: PacketAction;
}

export const DEFAULT_ACTION_MAP: readonly ActionMapEntry[] = [
  { match: "AUDIT", action: "audit" },
  { match: "REJECT", action: "reject" },
  { match: "BLOCK", action: "drop" },
  { match: "DROP", action: "drop" },
  { match: "DENY", action: "drop" },
  { match: "DENIED", action: "drop" },
  { match: "ALLOW", action: "accept" },
  { match: "ACCEPT", action: "accept" },
];

export function compileActionMap(
  entries: readonly ActionMapEntry[],
): (prefix: string | undefined) => PacketAction {
  const table = entries.map((e) => ({ match: e.match.toUpperCase(), action: e.action }));
  const cache = new Map<string, PacketAction>();
  return (prefix) => {
    if (!prefix) return "unknown";
    const hit = cache.get(prefix);
    if (hit) return hit;
    const up = prefix.toUpperCase();
    let action: PacketAction = "unknown";
    for (const e of table) {
      if (up.includes(e.match)) {
        action = e.action;
        break;
      }
    }
    if (cache.size < 1000) cache.set(prefix, action);
    return action;
  };
}
