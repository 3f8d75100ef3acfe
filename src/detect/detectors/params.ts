/** Rule fields more than one detector uses, as JSON Schema fragments. */

export function minSources(detectors: string): object {
  return {
    type: "integer",
    minimum: 2,
    maximum: 1000000,
    description: `${detectors}: fewest distinct source addresses.`,
  };
}

export function packets(detectors: string): object {
  return {
    enum: ["syn", "udp", "icmp-echo", "any"],
    description: `${detectors}: which packets count (TCP SYN without ACK, UDP, ICMP/ICMPv6 echo requests, or all three).`,
  };
}

export type PacketKind = "syn" | "udp" | "icmp-echo" | "any";
