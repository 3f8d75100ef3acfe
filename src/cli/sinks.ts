import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Diagnostics } from "../diagnostics.js";
import { FileSink } from "../sinks/file.js";
import type { Sink } from "../sinks/sink.js";
import { StdoutSink } from "../sinks/stdout.js";
import { WebhookSink } from "../sinks/webhook/index.js";
import { checkOutputPath } from "./output-path.js";
import { RuntimeError, UsageError } from "./usage-error.js";

export const SINK_OPTIONS = {
  out: { type: "string" },
  webhook: { type: "string", multiple: true },
  "webhook-format": { type: "string" },
  "webhook-timeout": { type: "string" },
  "webhook-secret-file": { type: "string" },
  spool: { type: "string" },
  "dead-letter": { type: "string" },
  "no-stdout": { type: "boolean" },
} as const;

export const SINK_HELP = `  --out FILE              also append alerts as NDJSON to FILE
  --webhook URL           also POST each alert to URL (repeatable); signed with HMAC-SHA256 when
                          SCANWATCH_WEBHOOK_SECRET or --webhook-secret-file gives a secret
  --webhook-format json|slack   payload: the alert JSON (default) or a Slack-style text message
  --webhook-timeout SECONDS     per request (default 5)
  --spool DIR             durable queue of undelivered webhook alerts (default: spool/ in the state directory)
  --dead-letter FILE      where alerts an endpoint refused (4xx) are kept (default: spool/dead-letter.ndjson)
  --no-stdout             do not print alerts on stdout
`;

export interface SinkFlags {
  out?: string;
  webhook?: string[];
  "webhook-format"?: string;
  "webhook-timeout"?: string;
  "webhook-secret-file"?: string;
  spool?: string;
  "dead-letter"?: string;
  "no-stdout"?: boolean;
}

/** Builds stdout, file and webhook sinks from flags. Secrets come from the environment or a file only. */
export async function buildSinks(
  flags: SinkFlags,
  format: "ndjson" | "table",
  diagnostics: Diagnostics,
  spoolDir: string,
): Promise<Sink[]> {
  const sinks: Sink[] = [];
  if (!flags["no-stdout"]) sinks.push(new StdoutSink(format));
  if (flags.out !== undefined) {
    await checkOutputPath("--out", flags.out, "alerts.ndjson", true);
    sinks.push(new FileSink({ path: flags.out, diagnostics }));
  }
  const hooks = flags.webhook ?? [];
  if (hooks.length) {
    const wf = flags["webhook-format"] ?? "json";
    if (wf !== "json" && wf !== "slack")
      throw new UsageError(`--webhook-format: expected json or slack, got "${wf}"`);
    const timeout = flags["webhook-timeout"] !== undefined ? Number(flags["webhook-timeout"]) : 5;
    if (!(timeout > 0 && timeout <= 300))
      throw new UsageError(`--webhook-timeout: expected seconds between 0 and 300`);
    let secret = process.env.SCANWATCH_WEBHOOK_SECRET || undefined;
    if (flags["webhook-secret-file"]) {
      try {
        secret = (await readFile(flags["webhook-secret-file"], "utf8")).trim();
      } catch (e) {
        // The flag is right; the file is not there or not readable by this user: a runtime fault.
        throw new RuntimeError(
          `--webhook-secret-file: cannot read ${flags["webhook-secret-file"]} (${(e as NodeJS.ErrnoException).code})` +
            `; it must exist and be readable by the user scanwatch runs as`,
        );
      }
      if (!secret) throw new RuntimeError(`--webhook-secret-file: ${flags["webhook-secret-file"]} is empty`);
    }
    const labels = webhookLabels(hooks);
    for (const [i, url] of hooks.entries()) {
      if (!/^https?:\/\//.test(url))
        throw new UsageError(
          `--webhook: expected an http:// or https:// URL, got a value without one (not repeated: a webhook URL often holds its token)`,
        );
      sinks.push(
        new WebhookSink({
          url,
          label: labels[i],
          secret,
          timeoutMs: timeout * 1000,
          spoolDir,
          format: wf,
          deadLetterFile: flags["dead-letter"] ?? join(spoolDir, "dead-letter.ndjson"),
          diagnostics,
        }),
      );
    }
  }
  return sinks;
}

/**
 * The metric label of each webhook: its `scheme://host[:port]`, with ` #2`, ` #3`... for a second
 * and third webhook on one host, so their series stay apart. Never the path or query (tokens).
 */
export function webhookLabels(urls: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return urls.map((url) => {
    let origin: string;
    try {
      const u = new URL(url);
      origin = `${u.protocol}//${u.host}`;
    } catch {
      origin = "<invalid url>";
    }
    const n = (seen.get(origin) ?? 0) + 1;
    seen.set(origin, n);
    return n === 1 ? origin : `${origin} #${n}`;
  });
}
