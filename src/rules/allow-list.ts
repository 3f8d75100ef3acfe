import type { Event } from "../events/event.js";
import { compileAddressSet, type AddressSet } from "./cidr.js";

/**
 * Sources that are never examined, by any rule: a monitoring host, an office range, a scanner of
 * your own (fail2ban's `ignoreip`, CrowdSec's whitelists). Applied to events before detection,
 * so allowing a source once covers every rule, fast and slow. A rule's own `allow` lists still
 * apply on top.
 *
 * `filter` is a function over event batches (pure apart from its counter): packet and sshd events
 * whose source is in the list are dropped and counted in `allowed`; kernel notices (which have
 * no source) always pass.
 */
export class AllowList {
  allowed = 0;

  private constructor(
    private readonly set: AddressSet,
    /** The entries as given, for messages. */
    readonly entries: readonly string[],
    private readonly onAllowed: ((e: Event) => void) | undefined,
  ) {}

  /**
   * Compiles CIDRs and bare addresses (IPv4 and IPv6); returns the problem with the first bad one
   * as text. `onAllowed` is told of every event dropped (for a metric).
   */
  static compile(entries: readonly string[], onAllowed?: (e: Event) => void): AllowList | string {
    const set = compileAddressSet(entries);
    return typeof set === "string" ? set : new AllowList(set, entries, onAllowed);
  }

  get size(): number {
    return this.set.size;
  }

  filter(batch: readonly Event[]): Event[] {
    if (this.set.size === 0) return batch as Event[];
    const out: Event[] = [];
    for (const e of batch) {
      if (e.type !== "suppressed" && this.set.has(e.src)) {
        this.allowed++;
        this.onAllowed?.(e);
      } else out.push(e);
    }
    return out;
  }
}
