import type { PacketEvent, TcpOptions } from "../../src/events/event.js";
import { flagMaskOf, packetClass } from "../../src/events/packet-class.js";

/** The TCP options of an operating system's SYN (Linux): MSS, SACK permitted, timestamps, window scale. */
export const OS_SYN_OPTIONS: TcpOptions = {
  mss: 1460,
  sackPermitted: true,
  timestamps: true,
  wscale: 7,
  kinds: [2, 4, 8, 1, 3],
};

const SYN = flagMaskOf(["SYN"]);

/**
 * A TCP SYN as the netfilter parser makes it from an nmap -sS probe (window 1024, no DF, no
 * options logged), at `ms`, line `line` of kern.log on host "victim". `over` sets any field.
 */
export function synEvent(
  src: string,
  dst: string,
  dport: number,
  ms: number,
  line: number,
  over: Partial<PacketEvent> = {},
): PacketEvent {
  return {
    type: "packet",
    src,
    dst,
    proto: "tcp",
    sport: 40000,
    dport,
    flags: ["SYN"],
    mask: SYN,
    cls: packetClass({ proto: "tcp" }, SYN),
    action: "drop",
    direction: "in",
    df: false,
    window: 1024,
    ts: new Date(ms).toISOString().replace("Z", "+00:00"),
    ms,
    host: "victim",
    source: { file: "kern.log", line },
    ...over,
  };
}
