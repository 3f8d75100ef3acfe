import type { DiagnosticMessage } from "../diagnostics.js";

/**
 * Informational messages only `--verbose` shows: the routine of following files, several per
 * rotation. Every other message is shown, info included: a reload that worked, Redis or a webhook
 * answering again, a file being waited for, a stale lock taken over are what an operator who
 * watches the journal needs to know.
 */
const VERBOSE_ONLY = new Set(["tail_joined", "tail_resumed", "tail_resume_rotated", "tail_rotated"]);

export function shouldLog(m: DiagnosticMessage, verbose: boolean): boolean {
  return verbose || m.level !== "info" || !VERBOSE_ONLY.has(m.code);
}
