import { FIRST_LINE_HASH_BYTES } from "../tail-state.js";
import { sameId, sha256, type Identity, type Probe } from "./fs-probe.js";

/**
 * A run of bytes from one file identity. Line numbers and `firstLineHash` belong to it. It learns
 * the file's first line from the bytes read at offset 0, or is told its hash when reading starts
 * past the first line.
 */
export class Segment {
  private headParts: Buffer[] = [];
  private headLen = 0;
  private headDone: boolean;
  private cachedHash: string | undefined;

  /** `knownHash` is given when we start past the first line and so never see it. */
  constructor(
    readonly id: Identity,
    knownHash?: string,
  ) {
    this.cachedHash = knownHash;
    this.headDone = knownHash !== undefined;
  }

  /** Collects the first line from bytes read at file offset `at` (only contiguous from 0). */
  observe(chunk: Buffer, at: number): void {
    if (this.headDone || at !== this.headLen) return;
    const room = FIRST_LINE_HASH_BYTES - this.headLen;
    const nl = chunk.indexOf(10);
    const take = Math.min(nl >= 0 ? nl : chunk.length, room);
    if (take > 0) {
      this.headParts.push(Buffer.from(chunk.subarray(0, take)));
      this.headLen += take;
    }
    if (nl >= 0 || this.headLen >= FIRST_LINE_HASH_BYTES) this.headDone = true;
  }

  hash(): string {
    if (this.cachedHash !== undefined) return this.cachedHash;
    const h = sha256(Buffer.concat(this.headParts, this.headLen));
    if (this.headDone) this.cachedHash = h;
    return h;
  }

  /** Is `p` this file, with at least `offset` bytes and the same beginning? */
  isSameFile(p: Probe, offset: number): boolean {
    return sameId(p.id, this.id) && p.size >= offset && this.sameHead(p);
  }

  sameHead(p: Probe): boolean {
    if (this.headDone) return p.hash === this.hash();
    // We have seen only part of the first line: the file must start with those bytes.
    const mine = Buffer.concat(this.headParts, this.headLen);
    return p.head.length >= mine.length && p.head.subarray(0, mine.length).equals(mine);
  }
}

/** A point in the byte stream of one segment: the next line starts at `offset` and is number `line + 1`. */
export interface Position {
  seg: Segment;
  offset: number;
  line: number;
}
