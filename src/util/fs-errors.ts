/**
 * File-system and system errors as operators need them: the stable `code` (ENOENT, EACCES...),
 * a one-line description, and the fix for the faults an operator can fix.
 */

/** The error's `code` (`ENOENT`, `ECONNREFUSED`...), or `undefined` when it has none. */
export function errCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const c = (err as { code?: unknown }).code;
  return typeof c === "string" ? c : undefined;
}

/** `CODE: message` (the message alone when it already names the code). */
export function describeError(err: unknown): string {
  const code = errCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/**
 * The error's code, else its class name; never its message. For errors whose messages may quote
 * a URL or path that carries a token (fetch errors, fs errors on a webhook's dead-letter file).
 */
export function errName(err: unknown): string {
  return errCode(err) ?? (err instanceof Error ? err.name : "unknown error");
}

/**
 * The fix for a fault writing to `place` (a directory or file the operator can name), as a
 * clause starting with " — ", or "" when there is no general fix.
 */
export function fsHint(err: unknown, place: string): string {
  switch (errCode(err)) {
    case "ENOSPC":
    case "EDQUOT":
      return ` — free disk space on the file system of ${place}`;
    case "EACCES":
    case "EPERM":
      return ` — make ${place} writable by the user scanwatch runs as`;
    case "EROFS":
      return ` — ${place} is on a read-only file system (under systemd: add it to ReadWritePaths= or use StateDirectory=)`;
    default:
      return "";
  }
}
