import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Diagnostics } from "../../src/diagnostics.js";
import { TailState } from "../../src/sources/tail-state.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function statePath(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "scanwatch-state-"));
  dirs.push(d);
  return join(d, "state.json");
}

describe("tail-state/agent identity", () => {
  it.each([
    ["positions only", false],
    ["positions with the detection state", true],
  ])("tail-state/the agent is saved and read back (%s)", async (_label, withSnapshot) => {
    const path = await statePath();
    const s = TailState.empty(path, new Diagnostics());
    s.agent = { id: "a1b2c3", host: "web1" };
    if (withSnapshot) {
      s.attachSnapshot(() => ({ version: 1 }), 1000);
      s.committed(true);
    }
    expect(await s.save()).toBe(true);
    const again = await TailState.load(path, new Diagnostics());
    expect(again.agent).toEqual({ id: "a1b2c3", host: "web1" });
  });

  it.each([
    ["an id with a space", { id: "a b", host: "web1" }],
    ["no host", { id: "a1" }],
    ["not an object", "a1"],
  ])("tail-state/a malformed agent (%s) makes the state corrupt", async (_label, agent) => {
    const path = await statePath();
    await writeFile(path, JSON.stringify({ version: 1, agent, files: {} }));
    const d = new Diagnostics();
    const codes: string[] = [];
    d.onReport((m) => codes.push(m.code));
    const s = await TailState.load(path, d);
    expect(s.agent).toBeUndefined();
    expect(codes).toEqual(["state_corrupt"]);
    expect(await readFile(`${path}.corrupt`, "utf8")).toContain('"agent"');
  });
});
