/** Apply rank: CRDs, then Namespaces, then everything else. Deletion runs in reverse. */
export function applyRank(kind: string): number {
  if (kind === "CustomResourceDefinition") return 0;
  if (kind === "Namespace") return 1;
  return 2;
}

export function groupByRank<T extends { kind: string }>(items: readonly T[]): T[][] {
  const groups: T[][] = [[], [], []];
  for (const it of items) groups[applyRank(it.kind)]?.push(it);
  return groups;
}

/** Runs `fn` over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
