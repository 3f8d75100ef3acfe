/**
 * Runs one bench stage in its own process so its peak RSS is its own:
 *   node --import tsx bench/stage-main.ts <floor|parse|analyze|analyze-redis> FILE [REDIS_URL]
 * Prints one JSON line: the stage result plus maxRssMB.
 */
import { analyze, floor, parse, type StageResult } from "./stages.js";

const [stage, file, redisUrl] = process.argv.slice(2);
let r: StageResult;
if (stage === "floor") r = await floor(file!);
else if (stage === "parse") r = await parse(file!);
else if (stage === "analyze") r = await analyze(file!);
else if (stage === "analyze-redis") {
  const { RedisStore } = await import("../src/detect/redis-store.js");
  const store = await RedisStore.open({ url: redisUrl!, keyPrefix: `scanwatch-bench:${process.pid}:` });
  r = await analyze(file!, store);
} else throw new Error(`unknown stage ${stage}`);
process.stdout.write(
  JSON.stringify({ ...r, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\n",
);
