/** A mistake in how scanwatch was called: printed with a hint, exit status 2. */
export class UsageError extends Error {
  readonly code = "USAGE";
}

/** A failure while running (unreadable file, Redis unreachable...): exit status 1. */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly code = "RUNTIME",
  ) {
    super(message);
  }
}
