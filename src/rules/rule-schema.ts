import { DETECTORS } from "../detect/registry.js";

/**
 * The rule schema, assembled: the fields every rule has, plus each detector module's own fields,
 * and the detector names from the registry. rules/rule.schema.json is this, written by
 * `npm run schemas` (a test fails when the file and this differ).
 */
export function ruleSchema(): Record<string, unknown> {
  const own: Record<string, object> = {};
  for (const d of DETECTORS) {
    for (const [field, schema] of Object.entries(d.params)) {
      if (!(field in own)) own[field] = schema;
      else {
        // A field two detectors share: one schema, both names in its description.
        const prev = own[field] as { description?: string };
        const next = schema as { description?: string };
        own[field] = { ...prev, description: mergeDescriptions(prev.description, next.description) };
      }
    }
  }
  const base = BASE as { properties: Record<string, object> };
  const props: Record<string, object> = {};
  for (const [k, v] of Object.entries(base.properties)) {
    props[k] = k === "detector" ? { enum: DETECTORS.map((d) => d.name), ...v } : v;
    if (k === "threshold") Object.assign(props, own);
  }
  return { ...BASE, properties: props };
}

function mergeDescriptions(a = "", b = ""): string {
  const [an, ...ar] = a.split(": ");
  const [bn, ...br] = b.split(": ");
  return ar.join(": ") === br.join(": ") ? `${an}, ${bn}: ${ar.join(": ")}` : `${a} ${b}`;
}

/** The detector-independent part, as published in rules/rule.schema.json. */
const BASE: Record<string, unknown> = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://scanwatch.dev/schemas/rule.schema.json",
  title: "scanwatch rule",
  description:
    "One detection rule: which detector runs, over which events, with which window, thresholds and severity ladder. One rule per file in rules/.",
  type: "object",
  additionalProperties: false,
  required: ["id", "detector", "window", "threshold", "severity", "cooldown"],
  properties: {
    $schema: {
      type: "string",
      description: "Path or URL of this schema, for editors.",
    },
    id: {
      type: "string",
      pattern: "^[a-z0-9][a-z0-9-]{0,63}$",
      description: "Unique rule name (lower case, digits, dashes); appears as `rule` in alerts.",
    },
    description: {
      type: "string",
      maxLength: 2000,
      description: "What the rule catches and why its numbers are what they are.",
    },
    enabled: {
      type: "boolean",
      default: true,
      description: "false keeps the file but does not run the rule.",
    },
    detector: {
      description:
        "The behaviour detector. Each one defines what `threshold` measures: tcp-scan, udp-scan, stealth-scan, distributed-scan: distinct destination ports; port-sweep, icmp-sweep: distinct destination hosts; protocol-scan: distinct IP protocols other than TCP, UDP and ICMP; flood, ddos, crafted-icmp: packets in the window; ssh-bruteforce: failed authentications in the window.",
    },
    window: {
      $ref: "#/definitions/duration",
      description: 'Sliding window length on event time, e.g. "60s", "10m", "1h" (units: ms, s, m, h).',
    },
    threshold: {
      type: "integer",
      minimum: 1,
      maximum: 100000000,
      description: "Lowest measure (see `detector`) within one window that raises an alert.",
    },
    slow: {
      type: "boolean",
      default: false,
      description: "Marks alerts as `slow: true`: for long windows that catch low-rate scans.",
    },
    incidentGroup: {
      type: "string",
      pattern: "^[a-z0-9][a-z0-9-]{0,63}$",
      description:
        "Rules with the same group share incidents per key: a slow rule grouped with its fast sibling stays quiet while the fast one already reported the attacker. Default: the rule id.",
    },
    match: {
      type: "object",
      additionalProperties: false,
      description: "Filters applied before counting. An absent list matches everything.",
      properties: {
        proto: {
          type: "array",
          items: {
            enum: ["tcp", "udp", "icmp", "icmpv6"],
          },
          uniqueItems: true,
          description: "Protocols.",
        },
        action: {
          type: "array",
          items: {
            enum: ["drop", "reject", "accept", "audit", "unknown"],
          },
          uniqueItems: true,
          description: "Firewall verdicts, as read from the LOG prefix through the action map.",
        },
        direction: {
          type: "array",
          items: {
            enum: ["in", "out", "forward", "local", "unknown"],
          },
          uniqueItems: true,
          description:
            "Packet direction from IN=/OUT=: in, out, forward (both), local (the loopback interface: this host to itself), unknown (neither).",
        },
        interface: {
          type: "array",
          items: {
            type: "string",
            maxLength: 32,
          },
          description: "Input interface names (IN=).",
        },
        ports: {
          type: "array",
          items: {
            $ref: "#/definitions/portSpec",
          },
          description: 'Destination ports or ranges ("1-1024").',
        },
        excludePorts: {
          type: "array",
          items: {
            $ref: "#/definitions/portSpec",
          },
          description: "Destination ports or ranges ignored.",
        },
      },
    },
    allow: {
      type: "object",
      additionalProperties: false,
      description:
        "Addresses never reported. Empty by default: scans from private addresses are still scans.",
      properties: {
        src: {
          type: "array",
          items: {
            type: "string",
            maxLength: 64,
          },
          description: "Source CIDRs or addresses (IPv4 or IPv6).",
        },
        dst: {
          type: "array",
          items: {
            type: "string",
            maxLength: 64,
          },
          description: "Destination CIDRs or addresses.",
        },
      },
    },
    severity: {
      type: "object",
      additionalProperties: false,
      required: ["low"],
      description:
        "Severity ladder: the measure at which each level starts. Must ascend. An incident alerts again (status update) when it climbs a step.",
      properties: {
        low: {
          type: "integer",
          minimum: 1,
        },
        medium: {
          type: "integer",
          minimum: 1,
        },
        high: {
          type: "integer",
          minimum: 1,
        },
        critical: {
          type: "integer",
          minimum: 1,
        },
      },
    },
    cooldown: {
      $ref: "#/definitions/duration",
      description:
        "Quiet time after an incident's last activity before the same key can open a new incident.",
    },
  },
  definitions: {
    duration: {
      type: "string",
      pattern: "^[0-9]{1,7}(ms|s|m|h)$",
    },
    portSpec: {
      oneOf: [
        {
          type: "integer",
          minimum: 0,
          maximum: 65535,
        },
        {
          type: "string",
          pattern: "^[0-9]{1,5}-[0-9]{1,5}$",
        },
      ],
    },
  },
};
