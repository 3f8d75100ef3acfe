import { analyze } from "./stages.js";
const r = await analyze(process.argv[2]!);
console.log(r, Math.round(process.resourceUsage().maxRSS / 1024));
