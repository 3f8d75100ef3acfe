export interface SleepOptions {
  /**
   * Let the process exit while this sleep is pending (a background retry loop that must not keep
   * a stopping process alive). Default false: the sleep holds the process open, like setTimeout.
   */
  unref?: boolean;
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal, options: SleepOptions = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (options.unref) timer.unref();
    signal?.addEventListener("abort", done, { once: true });
  });
}
