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
    ['{\n  "a": }', /^Unexpected token '}'$/],
  ])("%j → %s", (text, want) => {
    const s = said(text);
    expect(s).toMatch(want);
    expect(s).not.toContain("\n");
  });
});
