/**
 * Address normalization. Every address in an event goes through `canonicalIp`, so that
 * `2001:DB8:0:0::1`, `2001:db8::1` and `2001:0db8:0000:0000:0000:0000:0000:0001` are one key in a
 * window, and `::ffff:198.51.100.7` (an IPv4 client on a dual-stack socket) is `198.51.100.7`.
 */

/** Returns the canonical text of an IPv4 or IPv6 address, or undefined when `s` is not one. */
export function canonicalIp(s: string): string | undefined {
  if (s.length === 0 || s.length > 64) return undefined;
  const pct = s.indexOf("%");
  const zone = pct >= 0 ? s.slice(pct) : "";
  const addr = pct >= 0 ? s.slice(0, pct) : s;
  if (addr.indexOf(":") < 0) {
    const v = ipv4Kind(addr);
    return v === V4_CANONICAL ? addr : v === V4_ZEROS ? stripV4Zeros(addr) : undefined;
  }
  const groups = parseV6(addr);
  if (!groups) return undefined;
  // ::ffff:a.b.c.d is an IPv4 peer seen through an IPv6 socket.
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    const g6 = groups[6] ?? 0;
    const g7 = groups[7] ?? 0;
    return `${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`;
  }
  return formatV6(groups) + (zone.length > 1 ? zone.toLowerCase() : "");
}

export function isIpv4(s: string): boolean {
  return ipv4Kind(s) !== NOT_V4;
}

const NOT_V4 = 0;
const V4_CANONICAL = 1;
const V4_ZEROS = 2;

/** One pass: not an IPv4 address, a canonical one, or one with leading zeros ("010.1.1.1"). */
function ipv4Kind(s: string): number {
  let parts = 0;
  let digits = 0;
  let value = 0;
  let zeros = false;
  let first = 0;
  const n = s.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255) return NOT_V4;
      if (digits > 1 && first === 48) zeros = true;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return NOT_V4;
      if (digits === 1) first = c;
      value = value * 10 + (c - 48);
    } else return NOT_V4;
  }
  return parts !== 4 ? NOT_V4 : zeros ? V4_ZEROS : V4_CANONICAL;
}

function stripV4Zeros(s: string): string {
  return s
    .split(".")
    .map((p) => String(Number(p)))
    .join(".");
}

/**
 * The /64 network of a canonical IPv6 address, as `2001:db8:1:2::/64` (undefined for IPv4, a
 * link-local address with a zone, and NAT64 or Teredo addresses): the unit a host or a LAN gets,
 * and what a scanner that takes a new address per probe stays in.
 */
export function ipv6Net64(addr: string): string | undefined {
  if (addr.indexOf(":") < 0 || addr.indexOf("%") >= 0) return undefined;
  const g = parseV6(addr);
  if (!g || carriesIpv4Clients(g)) return undefined;
  return `${formatV6([g[0]!, g[1]!, g[2]!, g[3]!, 0, 0, 0, 0])}/64`;
}

/**
 * Prefixes whose /64 holds unrelated IPv4 clients, not one network: NAT64 (64:ff9b::/96, and the
 * local-use 64:ff9b:1::/48), where every IPv4 host of the internet is one /64, and Teredo
 * (2001::/32), where a relay's clients share one.
 */
function carriesIpv4Clients(g: number[]): boolean {
  return (g[0] === 0x64 && g[1] === 0xff9b && (g[2] === 0 || g[2] === 1)) || (g[0] === 0x2001 && g[1] === 0);
}

/** Parses an IPv6 address into 8 16-bit groups; supports `::` and a trailing dotted IPv4. */
export function parseV6(s: string): number[] | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const dbl = s.indexOf("::");
  if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : "";
  // A dotted IPv4 part may only end the address: "1.2.3.4::" is not one.
  if (dbl >= 0 && head.indexOf(".") >= 0) return undefined;
  const h = head.length ? groupsOf(head) : [];
  const t = tail.length ? groupsOf(tail) : [];
  if (!h || !t) return undefined;
  const missing = 8 - h.length - t.length;
  if (dbl >= 0 ? missing < 1 : missing !== 0) return undefined;
  return [...h, ...new Array<number>(missing).fill(0), ...t];
}

function groupsOf(s: string): number[] | undefined {
  const out: number[] = [];
  const parts = s.split(":");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (i === parts.length - 1 && p.indexOf(".") >= 0) {
      if (!isIpv4(p)) return undefined;
      const o = p.split(".").map(Number) as [number, number, number, number];
      out.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
      continue;
    }
    if (p.length === 0 || p.length > 4 || !/^[0-9a-fA-F]+$/.test(p)) return undefined;
    out.push(parseInt(p, 16));
  }
  return out;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatV6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(":");
  return hex.slice(0, bestStart).join(":") + "::" + hex.slice(bestStart + bestLen).join(":");
}

/**
 * A destination no probe is sent to: IPv4 multicast (224.0.0.0/4) or the limited broadcast
 * 255.255.255.255, IPv6 multicast (ff00::/8). Takes a canonical address (canonicalIp). A
 * subnet's directed broadcast (192.168.1.255) is an ordinary address to anyone without the
 * netmask; the netfilter parser knows it by the broadcast destination MAC instead.
 */
export function isGroupAddress(ip: string): boolean {
  // Called for every packet: the first octet read in place, no slice.
  let first = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46 /* . */) return (first >= 224 && first <= 239) || ip === "255.255.255.255";
    if (c === 58 /* : */) return ip.startsWith("ff");
    first = first * 10 + (c - 48);
  }
  return false;
}
