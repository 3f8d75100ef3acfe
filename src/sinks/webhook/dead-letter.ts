import { appendFile } from "node:fs/promises";
import type { Alert } from "../../events/alert.js";
import { errName } from "../../util/fs-errors.js";

/** Response bytes kept in a dead-letter record: enough for an error message, not for a whole page. */
export const RESPONSE_BODY_LIMIT = 2048;

/** One alert an endpoint refused or that ran out of retries, as a line of the dead-letter file. */
export interface DeadLetterRecord {
  /** `null` when the spool entry did not hold an alert. */
  alert: Alert | null;
  /** The HTTP status, 0 when there was none. */
  status: number;
  /** The first RESPONSE_BODY_LIMIT bytes of the response. */
  responseBody: string;
  /** When it was given up, ISO 8601. */
  at: string;
  reason: string;
}

/**
 * The NDJSON file of alerts that will not be delivered. `keep` never throws; it says where the
 * record went, for the operator's message: written, dropped (no file), or lost (the append failed).
 */
export class DeadLetterFile {
  constructor(private readonly path: string | undefined) {}

  async keep(record: DeadLetterRecord): Promise<string> {
    if (this.path === undefined) return "dropped (no dead-letter file configured)";
    try {
      await appendFile(this.path, JSON.stringify(record) + "\n", "utf8");
      return `written to ${this.path}`;
    } catch (err) {
      return `lost: cannot append to ${this.path} (${errName(err)})`;
    }
  }
}
