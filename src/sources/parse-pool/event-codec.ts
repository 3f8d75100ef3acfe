import type { Event } from "../../events/event.js";

/**
 * A batch of events as a parse worker posts it: numbers in one Float64Array and string indices,
 * booleans and shape ids in one Int32Array (both transferred, not copied), plus the batch's
 * distinct strings and object shapes. Structured clone of the event objects themselves cost the
 * main thread about as much to deserialize as the worker spent parsing them; this costs it one
 * object literal per event.
 */
export interface EncodedBatch {
  count: number;
  ints: Int32Array;
  nums: Float64Array;
  strings: string[];
  /** Object shapes by id: keys with the kind of their value, in insertion order. */
  shapes: string[];
}

/**
 * Value kinds: n number, s string, b boolean, u undefined, z null, o nested object (its own
 * shape), a array of strings, A array of numbers, j anything else, as JSON text. A shape is
 * `key\u0001kind` pairs joined by `\u0002`: events with the same keys in the same order and the
 * same kinds share it.
 */
type Kind = "n" | "s" | "b" | "u" | "z" | "o" | "a" | "A" | "j";
const KINDS: readonly Kind[] = ["n", "s", "b", "u", "z", "o", "a", "A", "j"];

/**
 * A shape prefix: the keys and kinds so far, ending with one key. Found by identity checks on
 * the key (object keys are interned strings), not by building the shape's string per event.
 * It also remembers the last string value of its key, so a value repeated from one event to
 * the next (the file, host, type, a second's timestamp) is one string in the batch.
 */
class ShapeNode {
  /** Id in the batch being encoded (valid when `batch` is the encoder's current one). */
  id = -1;
  batch = -1;
  lastString: string | undefined = undefined;
  lastStringId = -1;
  lastStringBatch = -1;
  private lastKey: string | undefined = undefined;
  private lastKind = -1;
  private lastChild: ShapeNode | undefined = undefined;
  private readonly next: (Map<string, ShapeNode> | undefined)[] = [];
  constructor(readonly shape: string) {}

  child(key: string, kind: number): ShapeNode {
    if (key === this.lastKey && kind === this.lastKind) return this.lastChild!;
    const m = (this.next[kind] ??= new Map());
    let n = m.get(key);
    if (n === undefined) {
      const pair = key + "\u0001" + KINDS[kind]!;
      n = new ShapeNode(this.shape === "" ? pair : this.shape + "\u0002" + pair);
      m.set(key, n);
    }
    this.lastKey = key;
    this.lastKind = kind;
    this.lastChild = n;
    return n;
  }
}

/** Encodes events into batches; one encoder per worker job. Not thread-safe, not reentrant. */
export class BatchEncoder {
  private ints = new Int32Array(1 << 16);
  private ni = 0;
  private nums = new Float64Array(1 << 15);
  private nf = 0;
  private strings: string[] = [];
  private shapes: string[] = [];
  private readonly root = new ShapeNode("");
  private batch = 0;
  private n = 0;

  get count(): number {
    return this.n;
  }

  add(e: Event): void {
    this.object(e as unknown as Record<string, unknown>);
    this.n++;
  }

  /** The batch so far, ready to post with `transferList(batch)`; the encoder starts empty again. */
  take(): EncodedBatch {
    const out: EncodedBatch = {
      count: this.n,
      ints: this.ints.slice(0, this.ni),
      nums: this.nums.slice(0, this.nf),
      strings: this.strings,
      shapes: this.shapes,
    };
    this.ni = 0;
    this.nf = 0;
    this.strings = [];
    this.shapes = [];
    this.batch++;
    this.n = 0;
    return out;
  }

  private int(v: number): void {
    if (this.ni === this.ints.length) {
      const grown = new Int32Array(this.ints.length * 2);
      grown.set(this.ints);
      this.ints = grown;
    }
    this.ints[this.ni++] = v;
  }

  private num(v: number): void {
    if (this.nf === this.nums.length) {
      const grown = new Float64Array(this.nums.length * 2);
      grown.set(this.nums);
      this.nums = grown;
    }
    this.nums[this.nf++] = v;
  }

  private object(o: Record<string, unknown>): void {
    const at = this.ni;
    this.int(0); // the shape id, known once every key was seen
    let node = this.root;
    for (const k in o) {
      const v = o[k];
      if (typeof v === "number") {
        node = node.child(k, 0);
        this.num(v);
      } else if (typeof v === "string") {
        node = node.child(k, 1);
        this.int(this.string(v, node));
      } else if (typeof v === "boolean") {
        node = node.child(k, 2);
        this.int(v ? 1 : 0);
      } else if (v === undefined) node = node.child(k, 3);
      else if (v === null) node = node.child(k, 4);
      else if (Array.isArray(v)) node = node.child(k, this.array(v));
      else if (typeof v === "object") {
        this.object(v as Record<string, unknown>);
        node = node.child(k, 5);
      } else {
        this.int(this.string(JSON.stringify(v)));
        node = node.child(k, 8);
      }
    }
    if (node.batch !== this.batch) {
      node.batch = this.batch;
      node.id = this.shapes.length;
      this.shapes.push(node.shape);
    }
    this.ints[at] = node.id;
  }

  /** Flags (`["SYN"]`) and option kinds (`[2, 4, 8]`) have their own kinds; other arrays go as JSON. */
  private array(v: unknown[]): number {
    if (v.every((x) => typeof x === "string")) {
      this.int(v.length);
      for (const x of v) this.int(this.string(x as string));
      return 6;
    }
    if (v.every((x) => typeof x === "number")) {
      this.int(v.length);
      for (const x of v) this.num(x as number);
      return 7;
    }
    this.int(this.string(JSON.stringify(v)));
    return 8;
  }

  /** The id of `s` in the batch: the one `node` gave its previous value when it is the same. */
  private string(s: string, node?: ShapeNode): number {
    if (node && node.lastStringBatch === this.batch && node.lastString === s) return node.lastStringId;
    const id = this.strings.length;
    this.strings.push(s);
    if (node) {
      node.lastString = s;
      node.lastStringId = id;
      node.lastStringBatch = this.batch;
    }
    return id;
  }
}

/** The buffers to transfer with a batch. */
export function transferList(b: EncodedBatch): ArrayBuffer[] {
  return [b.ints.buffer as ArrayBuffer, b.nums.buffer as ArrayBuffer];
}

interface Cursor {
  i: number;
  f: number;
}
type Reader = (b: EncodedBatch, c: Cursor, read: ObjectReader) => Record<string, unknown>;
type ObjectReader = (b: EncodedBatch, c: Cursor) => Record<string, unknown>;

/** Compiled readers by shape, shared by every batch and worker of the process. */
const readers = new Map<string, Reader>();

/**
 * One function per shape that builds the object as a literal, keys in the shape's order, so
 * decoded events have the same keys, order and hidden class as the parser's own.
 */
function readerOf(shape: string): Reader {
  let r = readers.get(shape);
  if (r) return r;
  const fields = shape === "" ? [] : shape.split("\u0002").map((p) => p.split("\u0001") as [string, Kind]);
  const value = (kind: Kind): string => {
    switch (kind) {
      case "n":
        return "int(b.nums[c.f++])";
      case "s":
        return "b.strings[b.ints[c.i++]]";
      case "b":
        return "b.ints[c.i++] === 1";
      case "u":
        return "undefined";
      case "z":
        return "null";
      case "o":
        return "read(b, c)";
      case "a":
        return "strs(b, c)";
      case "A":
        return "nums(b, c)";
      case "j":
        return "JSON.parse(b.strings[b.ints[c.i++]])";
    }
  };
  const body = `return {${fields.map(([k, kind]) => `${JSON.stringify(k)}: ${value(kind)}`).join(", ")}};`;
  r = (
    new Function("strs", "nums", "int", `return (b, c, read) => {${body}}`) as (...a: unknown[]) => Reader
  )(stringArray, numberArray, smallInt);
  readers.set(shape, r);
  return r;
}

/**
 * A number read from the Float64Array, as a small integer when it is one: a port or a length
 * that came back as a double made every event field a boxed number, and every port a boxed Map
 * key, so the engine ran slower and collected twice the garbage on decoded events (CPU profile of
 * `analyze --workers 2` on the bench's kernel log) than on the parser's own.
 */
function smallInt(x: number): number {
  return (x | 0) === x && (x !== 0 || 1 / x > 0) ? x | 0 : x; // -0 stays -0
}

function stringArray(b: EncodedBatch, c: Cursor): string[] {
  const n = b.ints[c.i++]!;
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(b.strings[b.ints[c.i++]!]!);
  return out;
}

function numberArray(b: EncodedBatch, c: Cursor): number[] {
  const n = b.ints[c.i++]!;
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(smallInt(b.nums[c.f++]!));
  return out;
}

/** The events of a batch, equal field by field (and in key order) to those encoded. */
export function decodeBatch(b: EncodedBatch): Event[] {
  const byId = b.shapes.map(readerOf);
  const read: ObjectReader = (bb, c) => byId[bb.ints[c.i++]!]!(bb, c, read);
  const c: Cursor = { i: 0, f: 0 };
  const out: Event[] = new Array<Event>(b.count);
  for (let k = 0; k < b.count; k++) out[k] = read(b, c) as unknown as Event;
  return out;
}
