import type { DetectorModule } from "../detector.js";
import { isCraftedIcmp } from "./fingerprint.js";

const KIND = 0;
const HOST = 1;

/**
 * ICMP packets no IP stack sends (isCraftedIcmp), one key per source: like a TCP flag set no
 * stack sends, one of them already says a tool is at work (OS fingerprinting, firewall
 * mapping), so the shipped rule alerts on the first.
 */
export const craftedIcmp: DetectorModule<Record<string, never>> = {
  name: "crafted-icmp",
  params: {},
  requiredParams: [],
  alertTypes: ["crafted-icmp"],
  measure: { what: "packets in the window", max: Infinity, of: (s) => s.events() },
  accepts: ["icmp-echo", "icmp"],
  dims: ["kind", "host"],
  tags: [],
  compile: () => ({}),
  stateKey: () => "src",
  feed(e, ctx) {
    if (e.type !== "packet" || !isCraftedIcmp(e)) return;
    const k = ctx.touch(e.src, e, e.src, e.dst, String(e.proto));
    ctx.count(k, e);
    ctx.member(k, KIND, `${e.icmpType}/${e.icmpCode ?? 0}`, e);
    ctx.member(k, HOST, e.dst, e);
    ctx.check(k, -1);
  },
  judge(s, rule) {
    const events = s.events();
    if (events < rule.threshold) return undefined;
    const kinds = s.members("kind");
    return {
      measure: events,
      type: "crafted-icmp",
      evidence: [
        `${events} ICMP packet(s) no IP stack sends${kinds?.length ? ` (type/code ${[...kinds].sort().join(", ")})` : ""}: an echo with a code other than 0 (nmap -O, hping3 --icmp-code) or a type never assigned`,
      ],
      dims: { hosts: "host" },
    };
  },
};
