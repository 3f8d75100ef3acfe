import { createServer, type Server } from "node:http";
import { Registry } from "prom-client";
import type { Diagnostics } from "./diagnostics.js";
import { hostPort as joinHostPort } from "./util/address.js";

const HELP: Record<string, string> = {
  scanwatch_lines_read_total: "Log lines read, by source.",
  scanwatch_events_total: "Events parsed, by type.",
  scanwatch_lines_rejected_total: "Lines not turned into events, by reason.",
  scanwatch_alerts_total: "Alerts raised, by type.",
  scanwatch_webhook_deliveries_total: "Webhook deliveries, by result.",
  scanwatch_webhook_retries_total: "Webhook delivery retries.",
  scanwatch_spool_depth: "Alerts waiting in the webhook spool.",
  scanwatch_store_seconds_total: "Time spent in window-store calls, seconds.",
  scanwatch_store_fallback: "1 while Redis is unreachable and the memory store stands in.",
  scanwatch_file_lag_bytes: "Bytes a followed file has beyond what was read.",
  scanwatch_events_allowed_total: "Events from sources on the global allow-list (--allow), not examined.",
  scanwatch_duplicate_lines_total:
    "Lines dropped because the same line was read from another file (UFW: kern.log and ufw.log), by the file of the copy.",
  scanwatch_rule_copies_total:
    "Lines dropped because a second LOG rule logged the same packet (UFW: [UFW AUDIT] then its verdict), by file.",
};

/**
 * Renders Diagnostics counters and gauges as Prometheus metrics through prom-client's registry
 * (so content type and text format follow the library), plus `/healthz` and `/status`.
 */
export class MetricsServer {
  private server: Server | undefined;
  private readonly registry = new Registry();

  constructor(
    private readonly diagnostics: Diagnostics,
    private readonly health: () => { ok: boolean; status?: string; checks: Record<string, string> },
    /** `GET /status`: what `scanwatch status` shows (JSON). */
    private readonly status?: () => unknown,
  ) {}

  /** Prometheus text of the current counters. */
  async render(): Promise<string> {
    this.registry.clear();
    const { counters, gauges } = this.diagnostics.snapshot();
    const byName = new Map<string, { type: "counter" | "gauge"; samples: string[] }>();
    for (const [type, table] of [
      ["counter", counters],
      ["gauge", gauges],
    ] as const) {
      for (const [key, value] of Object.entries(table)) {
        const brace = key.indexOf("{");
        const name = brace < 0 ? key : key.slice(0, brace);
        let m = byName.get(name);
        if (!m) byName.set(name, (m = { type, samples: [] }));
        m.samples.push(`${key} ${Number.isFinite(value) ? value : 0}`);
      }
    }
    let text = await this.registry.metrics();
    for (const [name, m] of [...byName].sort()) {
      text += `# HELP ${name} ${HELP[name] ?? name.replace(/_/g, " ")}\n# TYPE ${name} ${m.type}\n${m.samples.join("\n")}\n`;
    }
    return text;
  }

  listen(hostPort: string): Promise<string> {
    const i = hostPort.lastIndexOf(":");
    const host = i > 0 ? hostPort.slice(0, i).replace(/^\[|\]$/g, "") : "127.0.0.1";
    const port = Number(i >= 0 ? hostPort.slice(i + 1) : hostPort);
    this.server = createServer((req, res) => {
      if (req.url === "/metrics") {
        void this.render().then((t) => {
          res.writeHead(200, { "Content-Type": this.registry.contentType });
          res.end(t);
        });
      } else if (req.url === "/status" && this.status) {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify(this.status()) + "\n");
      } else if (req.url === "/healthz") {
        const h = this.health();
        res.writeHead(h.ok ? 200 : 503, { "Content-Type": "application/json" });
        res.end(JSON.stringify(h) + "\n");
      } else {
        res.writeHead(404).end();
      }
    });
    return new Promise((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => {
        const a = this.server!.address();
        resolve(typeof a === "object" && a ? joinHostPort(a.address, a.port) : hostPort);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
