import { createWriteStream } from "node:fs";
import { once } from "node:events";

/** A small deterministic PRNG (mulberry32): the same seed writes the same file everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lines written through a 1 MiB buffer, waiting for the disk when the stream asks to. */
class LineWriter {
  private readonly out;
  private buf = "";
  constructor(path: string) {
    this.out = createWriteStream(path);
  }
  async add(line: string): Promise<void> {
    this.buf += line;
    if (this.buf.length > 1 << 20) {
      if (!this.out.write(this.buf)) await once(this.out, "drain");
      this.buf = "";
    }
  }
  async end(): Promise<void> {
    this.out.end(this.buf);
    await once(this.out, "finish");
  }
}

const pad = (n: number) => String(n).padStart(2, "0");
function stamp(sec: number): string {
  const d = new Date(Date.UTC(2026, 10, 28, 0, 0, 0) + sec * 1000);
  return `Nov ${String(d.getUTCDate()).padStart(2, " ")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/**
 * Writes `n` kernel LOG lines: a mix of benign handshakes, half-open scans, UDP datagrams and
 * ICMP, shaped like the real captures (rsyslog RFC 3164, uptime stamp, LOG prefix).
 */
export async function writeKernelLog(path: string, n: number, seed = 42): Promise<void> {
  const r = rng(seed);
  const out = new LineWriter(path);
  for (let i = 0; i < n; i++) {
    const sec = Math.floor(i / 2000);
    const src = `198.51.${Math.floor(r() * 4)}.${1 + Math.floor(r() * 250)}`;
    const kind = r();
    let body: string;
    if (kind < 0.6) {
      body = `PROTO=TCP SPT=${32768 + Math.floor(r() * 28000)} DPT=${[22, 80, 443][Math.floor(r() * 3)]} WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A${Math.floor(
        r() * 1e8,
      )
        .toString(16)
        .padStart(8, "0")}0000000001030307) `;
      body = `LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=${Math.floor(r() * 65535)} DF ${body}`;
    } else if (kind < 0.85) {
      body = `LEN=44 TOS=0x00 PREC=0x00 TTL=${36 + Math.floor(r() * 20)} ID=${Math.floor(r() * 65535)} PROTO=TCP SPT=43982 DPT=${1 + Math.floor(r() * 65000)} WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) `;
    } else if (kind < 0.95) {
      body = `LEN=76 TOS=0x00 PREC=0x00 TTL=63 ID=${Math.floor(r() * 65535)} DF PROTO=UDP SPT=${1024 + Math.floor(r() * 60000)} DPT=${[53, 123, 161][Math.floor(r() * 3)]} LEN=56 `;
    } else {
      body = `LEN=28 TOS=0x00 PREC=0x00 TTL=63 ID=${Math.floor(r() * 65535)} PROTO=ICMP TYPE=8 CODE=0 ID=${Math.floor(r() * 65535)} SEQ=${i & 0xffff} `;
    }
    await out.add(
      `${stamp(sec)} victim kernel: [${(5000 + i / 2000).toFixed(6).padStart(12)}] FW-IN: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${src} DST=203.0.113.10 ${body}\n`,
    );
  }
  await out.end();
}

const USERS = ["root", "admin", "ubuntu", "test", "oracle", "alice", "postgres", "git"];

/** Writes `n` sshd lines: failures, invalid users, PAM lines, preauth closes, successes. */
export async function writeAuthLog(path: string, n: number, seed = 43): Promise<void> {
  const r = rng(seed);
  const out = new LineWriter(path);
  for (let i = 0; i < n; i++) {
    const sec = Math.floor(i / 500);
    const ip = `198.51.${Math.floor(r() * 4)}.${1 + Math.floor(r() * 250)}`;
    const port = 30000 + Math.floor(r() * 30000);
    const user = USERS[Math.floor(r() * USERS.length)]!;
    const k = r();
    let msg: string;
    if (k < 0.35)
      msg = `Failed password for ${r() < 0.5 ? "invalid user " : ""}${user} from ${ip} port ${port} ssh2`;
    else if (k < 0.5) msg = `Invalid user ${user} from ${ip} port ${port}`;
    else if (k < 0.65)
      msg = `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`;
    else if (k < 0.8) msg = `Connection closed by authenticating user ${user} ${ip} port ${port} [preauth]`;
    else if (k < 0.9) msg = `Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`;
    else if (k < 0.97) msg = `pam_unix(sshd:session): session opened for user ${user}(uid=1001) by (uid=0)`;
    else
      msg = `Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG`;
    await out.add(`${stamp(sec)} victim sshd[${20000 + (i % 5000)}]: ${msg}\n`);
  }
  await out.end();
}

/** A spoofed-source SYN flood: `n` lines, each from a random source, to one target, ~3000/s. */
export async function writeSpoofedFlood(path: string, n: number, seed = 44): Promise<void> {
  const r = rng(seed);
  const out = new LineWriter(path);
  for (let i = 0; i < n; i++) {
    const sec = Math.floor(i / 3000);
    const src = `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
    await out.add(
      `${stamp(sec)} victim kernel: [ 6000.000000] FW-IN: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${src} DST=203.0.113.10 LEN=40 TOS=0x00 PREC=0x00 TTL=63 ID=${Math.floor(r() * 65535)} PROTO=TCP SPT=${1024 + (i % 60000)} DPT=443 WINDOW=512 RES=0x00 SYN URGP=0 \n`,
    );
  }
  await out.end();
}

/**
 * Writes `n` kernel LOG lines of full-port scans on a busy host: five sources one after another,
 * each running nmap -sS -p- (one source port, every port from 1 to 65535 in turn, about 1800
 * SYNs/s), and one line in ten from ordinary clients to 22, 80 and 443. Each scanner's port set
 * outgrows the exact bound of 20,000 members, so its windows count by HyperLogLog.
 */
export async function writeFullPortScans(path: string, n: number, seed = 45): Promise<void> {
  const r = rng(seed);
  const out = new LineWriter(path);
  for (let i = 0; i < n; i++) {
    const sec = Math.floor(i / 2000);
    let src: string;
    let tail: string;
    if (i % 10 === 0) {
      src = `198.51.${Math.floor(r() * 4)}.${1 + Math.floor(r() * 250)}`;
      tail = `LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=${Math.floor(r() * 65535)} DF PROTO=TCP SPT=${32768 + Math.floor(r() * 28000)} DPT=${[22, 80, 443][Math.floor(r() * 3)]} WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A000000000000000001030307) `;
    } else {
      src = `192.0.2.${1 + Math.floor((i * 5) / n)}`;
      tail = `LEN=44 TOS=0x00 PREC=0x00 TTL=${40 + Math.floor(r() * 10)} ID=${Math.floor(r() * 65535)} PROTO=TCP SPT=43982 DPT=${1 + (i % 65535)} WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) `;
    }
    await out.add(
      `${stamp(sec)} victim kernel: [${(5000 + i / 2000).toFixed(6).padStart(12)}] FW-IN: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${src} DST=203.0.113.10 ${tail}\n`,
    );
  }
  await out.end();
}
