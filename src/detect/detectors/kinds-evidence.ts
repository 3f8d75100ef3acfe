/**
 * An alert's line on the kinds of its events (SYNs or datagrams, failed passwords or unknown
 * users). Kinds are counted per episode (KeyWindow.tag), since the attack began, and the event
 * count only over the window, so the counts are said as such: beside "2000 packets within
 * 10 s", a bare "syn 3328" read as a contradiction. One kind alone is true of the window too.
 * `kinds` holds the kinds seen, with their counts; `names` says each in words; `since` names
 * the episode ("the flood began").
 */
export function kindsEvidence<K extends string>(
  kinds: readonly (readonly [K, number])[],
  names: Readonly<Record<K, string>>,
  since: string,
): string[] {
  if (kinds.length === 0) return [];
  if (kinds.length === 1) return [`all of them ${names[kinds[0]![0]]}`];
  return [`by kind since ${since}: ${kinds.map(([k, n]) => `${k} ${n}`).join(", ")}`];
}
