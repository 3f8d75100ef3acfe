// A parse worker that fails on its first job: it throws when the job's file name says "throw",
// and exits with status 3 otherwise (parse-pool tests: a dead worker is an error, not a hang).
import { parentPort } from "node:worker_threads";

parentPort.on("message", (m) => {
  if (m.type !== "job") return;
  if (m.path.includes("throw")) throw new Error("parser blew up");
  process.exit(3);
});
