import type { Alert } from "../events/alert.js";

/**
 * Where alerts go. `write` must not throw for delivery faults (an endpoint down, a full disk):
 * a sink records them and retries or reports them through its diagnostics; ingestion goes on.
 * `close` flushes what is buffered and resolves when the sink holds nothing more it can deliver now.
 */
export interface Sink {
  readonly name: string;
  write(alert: Alert): Promise<void>;
  close(): Promise<void>;
}
