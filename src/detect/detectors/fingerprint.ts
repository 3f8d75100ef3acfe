import type { PacketEvent } from "../../events/event.js";

/** Windows raw-packet scanners use (nmap 1024-4096, masscan 1024) and no OS stack does. */
const SCANNER_WINDOWS = new Set([1024, 2048, 3072, 4096]);

function isIpv6(e: PacketEvent): boolean {
  return e.src.includes(":");
}

/** The longest IP header without options plus the longest TCP header (60: 40 of options). */
const MAX_SYN_LEN = { v4: 20 + 60, v6: 40 + 60 };

/**
 * A SYN written by a raw-packet scanner (nmap -sS, masscan, zmap) rather than an operating
 * system's connect(): a scanner window, or no options / MSS alone, without DF; or longer than
 * its headers can be. IPv6 has no DF bit, so there its absence says nothing: a scanner window
 * says raw, and so does a logged option set that is empty or MSS alone; a SYN whose options
 * were not logged at all (LOG without --log-tcp-options, UFW, nftables `log`) and whose window
 * is an OS's is not a raw scanner's.
 *
 * Longer than its headers can be: the SYN carries data, or IPv6 extension headers before the
 * TCP header (the kernel's LEN counts the whole packet, IPv6's 40-byte header included). An
 * operating system's connect() sends neither (TCP Fast Open aside, rare on servers' logs);
 * scanners that hide behind extension headers (Topera) and floods padded with data (hping3 -d)
 * do.
 */
export function isRawSyn(e: PacketEvent): boolean {
  const v6 = isIpv6(e);
  if (e.len !== undefined && e.len > (v6 ? MAX_SYN_LEN.v6 : MAX_SYN_LEN.v4)) return true;
  const o = e.tcpOptions;
  const scannerWindow = e.window !== undefined && SCANNER_WINDOWS.has(e.window);
  const bare = o !== undefined && (o.kinds.length === 0 || (o.kinds.length === 1 && o.mss !== undefined));
  if (v6) return scannerWindow || bare;
  return !e.df && (scannerWindow || o === undefined || bare);
}

function isOsOptions(e: PacketEvent): boolean {
  const o = e.tcpOptions;
  if (!o) return false;
  return o.mss !== undefined && (o.sackPermitted === true || o.timestamps === true) && o.wscale !== undefined;
}

/** A SYN with an operating system's full option set (MSS + SACK or timestamps + window scale). */
export function isOsSyn(e: PacketEvent): boolean {
  return isOsOptions(e);
}

/**
 * A UDP datagram from a service's port (below 1024: DNS 53, NTP 123, QUIC 443, SNMP 161...) to an
 * ephemeral one (1024 and up): a server's reply to a client, not a probe. A firewall drops late
 * replies whose conntrack entry has expired (a resolver answering after its client gave up), and
 * each goes to the client's next random port: counted as probes, every busy resolver would scan
 * its clients. A scanner's probes go the other way (nmap -sU from a high port to the ports it
 * tries; with `-g 53`, to ports below 1024 still count). Floods count replies all the same (a
 * reflection attack is made of them); scans and sweeps do not.
 */
export function isUdpReply(e: PacketEvent): boolean {
  return (
    e.proto === "udp" && e.sport !== undefined && e.dport !== undefined && e.sport < 1024 && e.dport >= 1024
  );
}

/** Where the ephemeral ports of Linux (32768-60999), Windows and the BSDs (49152-65535) start. */
const EPHEMERAL_FROM = 32768;

/**
 * A TCP segment of a connection this host opened as a client, arriving after its conntrack entry
 * was gone: from the server's port (below 1024, or any port below the ephemeral range: 8443,
 * 5222...) to one of this host's ephemeral ports. A firewall's catch-all drop logs these late
 * ACKs and FIN+ACKs of finished HTTPS downloads, each to the next ephemeral port, so a CDN would
 * seem to probe dozens of ports. Over IPv6 there is no DF bit to tell them from raw probes, and
 * some stacks clear DF over IPv4 too. An ACK or Maimon probe goes the other way: from the
 * scanner's port to the ports it tries, nearly all below the ephemeral range (a full -p- scan
 * still has 32,768 of them).
 */
export function isLateTcpReply(e: PacketEvent): boolean {
  return (
    e.proto === "tcp" &&
    e.sport !== undefined &&
    e.dport !== undefined &&
    ((e.sport < 1024 && e.dport >= 1024) || (e.sport < EPHEMERAL_FROM && e.dport >= EPHEMERAL_FROM))
  );
}

/** traceroute's and mtr's UDP ports: 33434 + probe number, 30 hops of 3 probes (and some spare). */
const TRACEROUTE_PORTS = { from: 33434, to: 33534 };
/** traceroute's highest TTL: a probe arrives with what is left of it after the hops on its way. */
const TRACEROUTE_MAX_TTL = 30;

/**
 * A UDP traceroute probe that reached this host: to a port from 33434 up (one more per probe)
 * and with a TTL (IPv6: hop limit) of at most 30 left, since traceroute starts at 1 and climbs
 * to 30. A firewall that drops them leaves traceroute without an answer, so every probe from
 * this host's hop to the 30th arrives: dozens of distinct ports in a few seconds, from anyone
 * who ran traceroute toward the server. A UDP scan's datagrams arrive with what is left of an
 * initial TTL of 64 or more (nmap: 37-59 here), and a scan of those ports still counts them.
 */
export function isTracerouteProbe(e: PacketEvent): boolean {
  return (
    e.proto === "udp" &&
    e.dport !== undefined &&
    e.dport >= TRACEROUTE_PORTS.from &&
    e.dport <= TRACEROUTE_PORTS.to &&
    e.ttl !== undefined &&
    e.ttl <= TRACEROUTE_MAX_TTL
  );
}

/**
 * An ICMP or ICMPv6 packet no IP stack sends on its own: an echo request or reply with a code
 * other than 0 (RFC 792 and RFC 4443 define none; nmap's OS detection sends an echo with code
 * 9, hping3 any code asked for), or a type that was never assigned (IPv4 1, 2, 7, 19-29 and
 * 44-252; ICMPv6 5-99 and 102-126). A tool wrote it, to fingerprint the host or its firewall.
 */
export function isCraftedIcmp(e: PacketEvent): boolean {
  const t = e.icmpType;
  if (t === undefined) return false;
  const code = e.icmpCode ?? 0;
  if (e.proto === "icmp")
    return (
      ((t === 0 || t === 8) && code !== 0) ||
      t === 1 ||
      t === 2 ||
      t === 7 ||
      (t >= 19 && t <= 29) ||
      (t >= 44 && t <= 252)
    );
  if (e.proto === "icmpv6")
    return ((t === 128 || t === 129) && code !== 0) || (t >= 5 && t <= 99) || (t >= 102 && t <= 126);
  return false;
}
