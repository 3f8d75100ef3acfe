import type { Event } from "../events/event.js";

/**
 * Merges several time-ordered streams of event batches into one, by event time, so that a
 * host's kern.log and auth.log interleave and `kern.log.2.gz kern.log.1 kern.log` read as one
 * history in whatever order they were given. Each input is pulled only when its head batch is
 * used up (bounded memory). Output batches are at most `batchSize` events.
 */
export async function* mergeByTime(
  inputs: AsyncIterator<Event[]>[],
  batchSize: number,
): AsyncGenerator<Event[]> {
  if (inputs.length === 1) {
    // Re-batch: bigger batches let detectors aggregate more events per key per store call.
    const only = inputs[0]!;
    let out: Event[] = [];
    for (;;) {
      const n = await only.next();
      if (n.done) break;
      if (out.length === 0 && n.value.length >= batchSize) {
        yield n.value;
        continue;
      }
      for (const e of n.value) out.push(e);
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
    if (out.length) yield out;
    return;
  }
  const heads: { it: AsyncIterator<Event[]>; batch: Event[]; i: number }[] = [];
  for (const it of inputs) {
    const h = { it, batch: [] as Event[], i: 0 };
    if (await refill(h)) heads.push(h);
  }
  let out: Event[] = [];
  while (heads.length > 0) {
    let best = 0;
    let bestMs = heads[0]!.batch[heads[0]!.i]!.ms;
    for (let k = 1; k < heads.length; k++) {
      const ms = heads[k]!.batch[heads[k]!.i]!.ms;
      if (ms < bestMs) {
        best = k;
        bestMs = ms;
      }
    }
    const h = heads[best]!;
    out.push(h.batch[h.i++]!);
    if (h.i >= h.batch.length && !(await refill(h))) heads.splice(best, 1);
    if (out.length >= batchSize) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}

async function refill(h: { it: AsyncIterator<Event[]>; batch: Event[]; i: number }): Promise<boolean> {
  for (;;) {
    const n = await h.it.next();
    if (n.done) return false;
    if (n.value.length) {
      h.batch = n.value;
      h.i = 0;
      return true;
    }
  }
}
