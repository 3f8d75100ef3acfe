import { canonicalIp, isIpv4, parseV6 } from "../parsers/ip.js";

/** A compiled allow-list: `has(address)` for canonical addresses, IPv4 and IPv6. */
export interface AddressSet {
  has(addr: string): boolean;
  readonly size: number;
}

interface V4Net {
  base: number;
  mask: number;
}
interface V6Net {
  groups: number[];
  bits: number;
}

/** Parses CIDRs ("10.0.0.0/8", "2001:db8::/32") or bare addresses; returns an error text for the first bad one. */
export function compileAddressSet(items: readonly string[]): AddressSet | string {
  const v4: V4Net[] = [];
  const v6: V6Net[] = [];
  for (const item of items) {
    const slash = item.indexOf("/");
    const addrText = slash >= 0 ? item.slice(0, slash) : item;
    const addr = canonicalIp(addrText);
    if (addr === undefined) return `"${item}" is not an IPv4 or IPv6 address or CIDR`;
    const bitsText = slash >= 0 ? item.slice(slash + 1) : undefined;
    if (isIpv4(addr)) {
      const bits = bitsText === undefined ? 32 : Number(bitsText);
      if (!/^\d{1,2}$/.test(bitsText ?? "32") || bits > 32) return `"${item}": prefix length must be 0-32`;
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      v4.push({ base: (v4Int(addr) & mask) >>> 0, mask });
    } else {
      const bits = bitsText === undefined ? 128 : Number(bitsText);
      if (!/^\d{1,3}$/.test(bitsText ?? "128") || bits > 128) return `"${item}": prefix length must be 0-128`;
      const groups = parseV6(addr.split("%")[0]!);
      if (!groups) return `"${item}" is not an IPv6 address`;
      v6.push({ groups, bits });
    }
  }
  return {
    size: v4.length + v6.length,
    has(a: string): boolean {
      if (v4.length && isIpv4(a)) {
        const x = v4Int(a);
        for (const n of v4) if ((x & n.mask) >>> 0 === n.base) return true;
        return false;
      }
      if (v6.length && a.indexOf(":") >= 0) {
        const g = parseV6(a.split("%")[0]!);
        if (!g) return false;
        for (const n of v6) if (v6Match(g, n)) return true;
      }
      return false;
    },
  };
}

function v4Int(a: string): number {
  const p = a.split(".");
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

function v6Match(g: number[], n: V6Net): boolean {
  let bits = n.bits;
  for (let i = 0; i < 8 && bits > 0; i++) {
    const take = Math.min(16, bits);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if (((g[i] ?? 0) & mask) !== ((n.groups[i] ?? 0) & mask)) return false;
    bits -= take;
  }
  return true;
}
