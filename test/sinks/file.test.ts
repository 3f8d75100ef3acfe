import { mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Diagnostics, type DiagnosticMessage } from "../../src/diagnostics.js";
import { FileSink } from "../../src/sinks/file.js";
import { makeAlert } from "./http-endpoint.js";

let dir: string;
let diagnostics: Diagnostics;
let messages: DiagnosticMessage[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "scanwatch-file-"));
  diagnostics = new Diagnostics();
  messages = [];
  diagnostics.onReport((m) => messages.push(m));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("file", () => {
  it("file/creates the file and writes one line per alert", async () => {
    const path = join(dir, "alerts.ndjson");
    const sink = new FileSink({ path, diagnostics });
    await Promise.all([sink.write(makeAlert(1)), sink.write(makeAlert(2)), sink.write(makeAlert(3))]);
    await sink.close();
    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(["inc-001", "inc-002", "inc-003"]);
    expect(diagnostics.get("scanwatch_file_sink_writes_total", { result: "ok" })).toBe(3);
  });

  it("file/appends to an existing file", async () => {
    const path = join(dir, "alerts.ndjson");
    await writeFile(path, '{"earlier":true}\n');
    const sink = new FileSink({ path, diagnostics });
    await sink.write(makeAlert(1));
    await sink.close();
    const lines = (await readFile(path, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('{"earlier":true}');
  });

  it("file/write error is reported, not thrown, and the next write retries", async () => {
    const path = join(dir, "alerts.ndjson");
    await mkdir(path);
    const sink = new FileSink({ path, diagnostics });
    await expect(sink.write(makeAlert(1))).resolves.toBeUndefined();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ level: "error", code: "sink_file_error" });
    expect(messages[0]?.message).toContain("EISDIR");

    await rm(path, { recursive: true });
    await sink.write(makeAlert(2));
    await sink.close();
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ id: "inc-002" });
    expect(diagnostics.get("scanwatch_file_sink_writes_total", { result: "error" })).toBe(1);
  });

  it("file/reopen() after logrotate's rename writes to a new file", async () => {
    const path = join(dir, "alerts.ndjson");
    const sink = new FileSink({ path, diagnostics, checkEveryMs: 60_000 });
    await sink.write(makeAlert(1));
    await rename(path, `${path}.1`);
    await sink.write(makeAlert(2)); // before postrotate: still the moved file
    await sink.reopen();
    await sink.write(makeAlert(3));
    await sink.close();
    expect(await ids(`${path}.1`)).toEqual(["inc-001", "inc-002"]);
    expect(await ids(path)).toEqual(["inc-003"]);
  });

  it.each([
    ["renamed", (p: string) => rename(p, `${p}.1`)],
    ["deleted", (p: string) => unlink(p)],
  ])("file/%s away is noticed within checkEveryMs", async (_what, move) => {
    const path = join(dir, "alerts.ndjson");
    let now = 0;
    const sink = new FileSink({ path, diagnostics, checkEveryMs: 1000, now: () => now });
    await sink.write(makeAlert(1));
    await move(path);
    now = 500;
    await sink.write(makeAlert(2)); // not checked yet
    now = 1500;
    await sink.write(makeAlert(3)); // checked: a new file
    await sink.close();
    expect(await ids(path)).toEqual(["inc-003"]);
    expect(messages.map((m) => m.code)).toEqual(["sink_file_reopened"]);
  });
});

async function ids(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: string }).id);
}
