/**
 * Lists that most events carry with the same contents (a SYN's flags, an OS's TCP option kinds)
 * handed out as one frozen array per contents instead of a new array per packet. An array grown
 * by push from empty reserves 17 slots (about 150 bytes), so two such lists per packet were a
 * large part of what each event allocated, and of what an event kept waiting (a flood's
 * single-packet keys) held.
 */

/** TCP flag words in the order the kernel writes them. */
const FLAG_WORDS = ["CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN", "FIN"] as const;
const byFlagCode: (string[] | undefined)[] = new Array<string[] | undefined>(256).fill(undefined);

/** The index in FLAG_WORDS of the three-letter flag word at `s[i]`, or -1. */
export function flagWordAt(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  const c = s.charCodeAt(i + 2);
  switch (a) {
    case 67 /* C */:
      return b === 87 && c === 82 ? 0 : -1;
    case 69 /* E */:
      return b === 67 && c === 69 ? 1 : -1;
    case 85 /* U */:
      return b === 82 && c === 71 ? 2 : -1;
    case 65 /* A */:
      return b === 67 && c === 75 ? 3 : -1;
    case 80 /* P */:
      return b === 83 && c === 72 ? 4 : -1;
    case 82 /* R */:
      return b === 83 && c === 84 ? 5 : -1;
    case 83 /* S */:
      return b === 89 && c === 78 ? 6 : -1;
    case 70 /* F */:
      return b === 73 && c === 78 ? 7 : -1;
    default:
      return -1;
  }
}

/**
 * Collects one line's flag words. Words in the kernel's order, each once (every real line) end
 * in a shared list; any other sequence (a corrupted or crafted line) gets a list of its own,
 * word for word.
 */
export class FlagCollector {
  private code = 0;
  private last = -1;
  private odd: string[] | undefined = undefined;

  reset(): void {
    this.code = 0;
    this.last = -1;
    this.odd = undefined;
  }

  add(word: number): void {
    if (this.odd) this.odd.push(FLAG_WORDS[word]!);
    else if (word > this.last) {
      this.code |= 1 << word;
      this.last = word;
    } else {
      this.odd = [...sharedFlags(this.code), FLAG_WORDS[word]!];
    }
  }

  /** The words added since `reset`, in the order they came. */
  list(): string[] {
    return this.odd ?? sharedFlags(this.code);
  }
}

function sharedFlags(code: number): string[] {
  let list = byFlagCode[code];
  if (!list) {
    list = FLAG_WORDS.filter((_, i) => code & (1 << i));
    byFlagCode[code] = Object.freeze(list) as string[];
  }
  return list;
}

/** Most distinct option-kind lists kept for sharing; past it each packet gets its own. */
const MAX_KIND_LISTS = 4096;
const byKinds = new Map<number, number[]>();

/**
 * The first `n` kinds of `scratch` as a list: a shared frozen one for up to six kinds (every
 * SYN a real stack sends), else a copy of its own.
 */
export function kindList(scratch: readonly number[], n: number): number[] {
  if (n > 6) return scratch.slice(0, n);
  // Base 256 with the length on top: an exact code (below 2^51), so no two lists share one.
  let code = n;
  for (let i = 0; i < n; i++) code = code * 256 + scratch[i]!;
  let list = byKinds.get(code);
  if (!list) {
    list = scratch.slice(0, n);
    if (byKinds.size >= MAX_KIND_LISTS) return list;
    byKinds.set(code, Object.freeze(list) as number[]);
  }
  return list;
}
