import type { TestProject } from "vitest/node";
import { startRedis, startRedisCluster } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Redis every test of the run shares (private server, or SCANWATCH_TEST_REDIS_URL). */
    redisUrl: string;
    /** A private 3-master Redis Cluster for the run: redis+cluster://host:port,... */
    redisClusterUrl: string;
  }
}

/**
 * Starts ONE Redis and ONE 3-master Redis Cluster for the whole run; tests read their URLs with
 * `inject("redisUrl")` and `inject("redisClusterUrl")`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  project.provide("redisUrl", redis.url);
  project.provide("redisClusterUrl", cluster.url);
  return async () => {
    await Promise.all([redis.stop(), cluster.stop()]);
  };
}
