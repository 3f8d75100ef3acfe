import { describe, expect, it } from "vitest";
import { jsonErrorText } from "../../src/util/json-error.js";

describe("jsonErrorText", () => {
  const said = (text: string) => {
    try {
      JSON.parse(text);
    } catch (e) {
      return jsonErrorText(text, e as Error);
    }
    throw new Error("valid JSON");
  };
  it.each<[string, RegExp]>([
    ['{\n  "id": "x",\n  "window": 10\n', /^line 4 column 1: /],
    ['{\n  "id": "x"\n  "window": 10\n}', /^line 3 column 3: /],
    ['{\n  "a": }', /^line 2 column 8: Unexpected token '}'$/],
    // V8 quotes only the text around the fault in a longer file.
    [
      '{\n  "$schema": ./rule.schema.json,\n  "id": "tcp-scan",\n  "detector": "tcp-scan",\n  "window": "60s"\n}',
      /^line 2 column 14: Unexpected token '\.'$/,
    ],
    ['{"a": 1}\n{"b":2}', /^line 2 column 1: Unexpected non-whitespace character$/],
  ])("%j → %s", (text, want) => {
    const s = said(text);
    expect(s).toMatch(want);
    expect(s).not.toContain("\n");
  });
});
