import type { TestProject } from "vitest/node";
import { startRedis } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Redis every test of the run shares (private server, or SCANWATCH_TEST_REDIS_URL). */
    redisUrl: string;
  }
}

/** Starts ONE Redis for the whole run; tests read its URL with `inject("redisUrl")`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
