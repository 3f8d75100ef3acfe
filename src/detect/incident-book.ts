import { createHash } from "node:crypto";

/**
 * The incidents this process has raised: per incident group and key, the level reached, the id
 * given to its alerts and when it was last active (event time). An incident climbs only; it ends
 * after `cooldownMs` without activity, and the next verdict on that key opens a new one.
 */
export interface Incident {
  readonly name: string;
  id: string;
  level: number;
  lastSeen: number;
  cooldownMs: number;
}

export class IncidentBook {
  private readonly open = new Map<string, Incident>();

  get size(): number {
    return this.open.size;
  }

  /** The live incident `name` at event time `now`, or undefined (an ended one is forgotten). */
  get(name: string, now: number): Incident | undefined {
    const inc = this.open.get(name);
    if (inc && !isLive(inc, now)) {
      this.open.delete(name);
      return undefined;
    }
    return inc;
  }

  create(name: string, id: string, level: number, now: number, cooldownMs: number): Incident {
    const inc: Incident = { name, id, level, lastSeen: now, cooldownMs };
    this.open.set(name, inc);
    return inc;
  }

  /** Forgets incidents that ended before `now`. */
  sweep(now: number): void {
    for (const [k, inc] of this.open) if (!isLive(inc, now)) this.open.delete(k);
  }

  clear(): void {
    this.open.clear();
  }

  all(): IterableIterator<Incident> {
    return this.open.values();
  }
}

export function isLive(inc: Incident, now: number): boolean {
  return now - inc.lastSeen <= inc.cooldownMs;
}

/**
 * An incident's id: the same for its new alert and its updates, across replays of the same logs
 * and across the processes of a fleet (it hashes the incident and when its episode began).
 */
export function incidentId(name: string, firstSeen: number): string {
  return createHash("sha256").update(`${name}|${firstSeen}`).digest("hex").slice(0, 24);
}
