import type { Diagnostics } from "../diagnostics.js";
import { MemoryStore } from "./memory-store.js";
import type { WindowStore } from "./window-store.js";

export interface StoreSpec {
  /** "memory", a redis:// / rediss:// URL, or redis+cluster://host:port[,host:port...]. */
  store: string;
  keyPrefix?: string;
  maxKeys?: number;
}

/** Where the store spec comes from: --store, else REDIS_URL, else the embedded memory store. */
export function storeSpecFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.REDIS_URL ?? "memory";
}

export function isRedisSpec(s: string): boolean {
  return /^(rediss?(\+cluster)?|unix):\/\//.test(s);
}

/** Opens the store; a Redis store is connected and its scripts loaded before this resolves. */
export async function openStore(spec: StoreSpec, diagnostics: Diagnostics): Promise<WindowStore> {
  if (spec.store === "memory") return new MemoryStore({ diagnostics, maxKeys: spec.maxKeys });
  const { RedisStore } = await import("./redis/redis-store.js");
  return RedisStore.open({ url: spec.store, keyPrefix: spec.keyPrefix, diagnostics });
}
