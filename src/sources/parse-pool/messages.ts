import type { DiagnosticMessage, Labels } from "../../diagnostics.js";
import type { ActionMapEntry } from "../../parsers/action-map.js";
import type { ByteRange } from "../file-batch.js";
import type { EncodedBatch } from "./event-codec.js";
import type { LineCounts } from "./line-counts.js";

/** What the main thread asks of a parse worker: one file, or one chunk of a plain one. */
export interface JobMessage {
  type: "job";
  job: number;
  path: string;
  mtimeMs: number;
  zone: string;
  year?: number;
  actionMap?: readonly ActionMapEntry[];
  /** A chunk; absent: the whole file (plain or gzip). */
  range?: ByteRange;
  /**
   * Batches the worker may post before the main thread has taken them: it waits for an `ack`
   * beyond that, so a fast worker ahead of a slow engine holds a bounded number of events.
   */
  window: number;
}

/** The main thread handed a batch of `job` on: the worker may post one more. */
export interface AckMessage {
  type: "ack";
  job: number;
}

export type ToWorker = JobMessage | AckMessage;

/** Events of one job with the counts of the lines they came from (and the rejected ones). */
export interface BatchMessage {
  type: "batch";
  job: number;
  batch: EncodedBatch;
  counts: LineCounts;
  /** Bytes read since the previous message of the job (progress). */
  bytes: number;
}

/**
 * The chunk's parser now holds sshd connection context: the next chunk, parsed by a fresh
 * parser, would read its lines without it. This worker goes on past its chunk's end instead.
 */
export interface DirtyMessage {
  type: "dirty";
  job: number;
}

/** A diagnostic counter bumped, or a message reported, in the worker (read errors, overlong lines). */
export interface DiagnosticForward {
  type: "diagnostic";
  job: number;
  count?: { name: string; labels?: Labels; by: number };
  report?: DiagnosticMessage;
}

export interface EndMessage {
  type: "end";
  job: number;
  /** The number of the last line read (the next chunk's first line is one more). */
  lastLine: number;
  /** True when the job read past its chunk to the end of the file (it became dirty). */
  toEnd: boolean;
  bytes: number;
}

export type FromWorker = BatchMessage | DirtyMessage | DiagnosticForward | EndMessage;
