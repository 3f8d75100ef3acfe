import { describe, expect, it } from "vitest";
import type { TcpOptions } from "../../src/events/event.js";
import { decodeTcpOptions } from "../../src/parsers/tcp-options.js";

describe("decodeTcpOptions", () => {
  it.each<{ name: string; hex: string; out: TcpOptions }>([
    // Real dumps from /work/shared/corpus.
    { name: "nmap -sS SYN, MSS only (syn-scan)", hex: "020405B4", out: { mss: 1460, kinds: [2] } },
    {
      name: "Linux connect() SYN (connect-scan)",
      hex: "020405B40402080AE4655890000000000103030A",
      out: { mss: 1460, sackPermitted: true, timestamps: true, wscale: 10, kinds: [2, 4, 8, 1, 3] },
    },
    {
      name: "Linux SYN (ssh-bruteforce)",
      hex: "020405B40402080A1EC06E7F000000000103030A",
      out: { mss: 1460, sackPermitted: true, timestamps: true, wscale: 10, kinds: [2, 4, 8, 1, 3] },
    },
    {
      name: "established segment, NOP NOP TS (connect-scan)",
      hex: "0101080AE46558916ECE9A9E",
      out: { timestamps: true, kinds: [1, 1, 8] },
    },
    // Handwritten.
    { name: "lower-case hex", hex: "020405b4", out: { mss: 1460, kinds: [2] } },
    {
      name: "Windows SYN: MSS NOP WS NOP NOP SACK_PERM",
      hex: "020405B40103030801010402",
      out: { mss: 1460, wscale: 8, sackPermitted: true, kinds: [2, 1, 3, 1, 1, 4] },
    },
    {
      name: "nmap OS probe order: WS NOP MSS TS SACK_PERM",
      hex: "03030A0102040109080AFFFFFFFF000000000402",
      out: { wscale: 10, mss: 265, timestamps: true, sackPermitted: true, kinds: [3, 1, 2, 8, 4] },
    },
    { name: "IPv6 MSS 1440", hex: "020405A0", out: { mss: 1440, kinds: [2] } },
    { name: "SACK blocks", hex: "0101050A0000000100000002", out: { kinds: [1, 1, 5] } },
    { name: "unknown option kind is listed", hex: "1E0400000204FFFF", out: { mss: 65535, kinds: [30, 2] } },
    { name: "MSS with the wrong length carries no mss", hex: "02030501", out: { kinds: [2, 1] } },
    { name: "EOL ends the list", hex: "020405B400FFFFFFFF", out: { mss: 1460, kinds: [2, 0] } },
    { name: "empty", hex: "", out: { kinds: [] } },
  ])("decodeTcpOptions/$name", ({ hex, out }) => {
    expect(decodeTcpOptions(hex)).toEqual(out);
  });

  // Malformed dumps (a line cut short, a corrupted file) yield what was decoded before the fault.
  it.each<{ name: string; hex: string; out: TcpOptions }>([
    { name: "truncated MSS", hex: "020405", out: { kinds: [] } },
    { name: "odd length, last nibble dropped", hex: "020405B", out: { kinds: [] } },
    { name: "odd length after a whole option", hex: "020405B40", out: { mss: 1460, kinds: [2] } },
    {
      name: "truncated timestamps",
      hex: "020405B40402080AE465",
      out: { mss: 1460, sackPermitted: true, kinds: [2, 4] },
    },
    { name: "length 0", hex: "0200", out: { kinds: [] } },
    { name: "length 1", hex: "0201FFFF", out: { kinds: [] } },
    { name: "length past the end", hex: "08FF0000", out: { kinds: [] } },
    { name: "non-hex kind", hex: "ZZ0405B4", out: { kinds: [] } },
    { name: "non-hex length", hex: "02ZZ05B4", out: { kinds: [] } },
    { name: "non-hex in the MSS value", hex: "0204ZZB4", out: { kinds: [] } },
    { name: "non-hex in the window scale", hex: "020405B40303ZZ", out: { mss: 1460, kinds: [2] } },
    { name: "only NOPs", hex: "01010101", out: { kinds: [1, 1, 1, 1] } },
    { name: "parentheses kept by a sloppy caller", hex: "(020405B4)", out: { kinds: [] } },
    { name: "spaces", hex: "02 04 05 B4", out: { kinds: [] } },
    { name: "non-ASCII", hex: "０２０４０５Ｂ４", out: { kinds: [] } },
  ])("decodeTcpOptions/malformed $name", ({ hex, out }) => {
    expect(decodeTcpOptions(hex)).toEqual(out);
  });

  it("decodeTcpOptions/long input of NOPs stays bounded by its length", () => {
    const out = decodeTcpOptions("01".repeat(40_000));
    expect(out.kinds).toHaveLength(40_000);
  });

  it("decodeTcpOptions/numbers are never negative or above a byte's range", () => {
    for (const hex of ["0204FFFF", "0204ZZZZ", "0303FF", "0303Z1", "02040000", "030300"]) {
      const o = decodeTcpOptions(hex);
      if (o.mss !== undefined) expect(o.mss).toBeGreaterThanOrEqual(0);
      if (o.wscale !== undefined) expect(o.wscale).toBeGreaterThanOrEqual(0);
      for (const k of o.kinds) expect(k >= 0 && k <= 255).toBe(true);
    }
  });
});
