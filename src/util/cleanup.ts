/**
 * What a command opened so far, to close in reverse order when starting fails halfway: a
 * Redis connection, a listening socket or a follower's timer left open would keep the process
 * alive after the error was printed, so it would neither work nor exit.
 */
export class Cleanup {
  private readonly steps: (() => unknown)[] = [];

  /** Registers `close` to run (last registered first) on `run()`. */
  add(close: () => unknown): void {
    this.steps.push(close);
  }

  /** Runs every registered step, last first; a step that fails does not stop the others. */
  async run(): Promise<void> {
    while (this.steps.length) {
      const step = this.steps.pop()!;
      try {
        await step();
      } catch {
        // closing what failed to start: nothing more to do about it
      }
    }
  }
}
