import type { Cluster, Redis, Result } from "ioredis";
import { ESCALATE_LUA, EVICT_LUA, OBSERVE_LUA, READS_LUA } from "./scripts.js";

declare module "ioredis" {
  interface RedisCommander<Context> {
    /**
     * OBSERVE_LUA: a batch's updates, grouped by logical key (KEYS: every key they touch). Keys
     * and arguments go as one array (ioredis flattens it): a flood's batch names tens of
     * thousands of keys, more than a call's spread arguments may hold.
     */
    scanwatchObserve(numKeys: number, keysAndArgs: (string | number)[]): Result<unknown, Context>;
    /** EVICT_LUA: delete the keys of logical keys a batch took out of their shard's index. */
    scanwatchEvict(numKeys: number, keysAndArgs: string[]): Result<unknown, Context>;
    /** READS_LUA: samples and in-window members of one logical key. */
    scanwatchReads(numKeys: number, ...keys: string[]): Result<unknown, Context>;
    /** ESCALATE_LUA: raise incidents atomically, in order. */
    scanwatchEscalate(numKeys: number, ...keysAndArgs: (string | number)[]): Result<unknown, Context>;
  }
}

/** The scripts every connection (or Cluster client) of a RedisStore runs, with their key counts sent per call. */
export function defineCommands(client: Redis | Cluster): void {
  client.defineCommand("scanwatchObserve", { lua: OBSERVE_LUA });
  client.defineCommand("scanwatchEvict", { lua: EVICT_LUA });
  client.defineCommand("scanwatchReads", { lua: READS_LUA, readOnly: true });
  client.defineCommand("scanwatchEscalate", { lua: ESCALATE_LUA });
}

export const SCRIPTS = [OBSERVE_LUA, EVICT_LUA, READS_LUA, ESCALATE_LUA];
