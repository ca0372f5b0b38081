import { componentIds } from "./components.ts";
import type { DependencyEdge, DependencyGraph } from "./graph.ts";

/**
 * A cycle of object indices as a ring, read from `start` around and back to it: ring [a, b, c]
 * with start 1 is b → c → a → b. Rings are shared by the entries of one simple cycle, so a cycle
 * of n objects costs O(n) once, not once per object.
 */
export interface Cycle {
  readonly ring: readonly number[];
  readonly start: number;
}

/** One declaration that lies on a cycle, and a cycle through it starting at the declaring object. */
export interface CycleEntry {
  readonly from: number;
  readonly edge: DependencyEdge;
  readonly cycle: Cycle;
}

/** The k-th object of a cycle (k = 0 and k = length are the object it starts at). */
export function cycleAt(cycle: Cycle, k: number): number {
  return cycle.ring[(cycle.start + k) % cycle.ring.length] as number;
}

function distinctTargets(edges: readonly DependencyEdge[], self: number): number[] {
  return [...new Set(edges.map((e) => e.to))].filter((to) => to !== self);
}

/** Members of one simple cycle in order, when every member has exactly one successor inside it. */
function ringOf(members: readonly number[], inside: (v: number) => number[]): number[] | undefined {
  if (!members.every((v) => inside(v).length === 1)) return undefined;
  const ring: number[] = [];
  let v = members[0] as number;
  do {
    ring.push(v);
    v = inside(v)[0] as number;
  } while (v !== members[0] && ring.length <= members.length);
  return ring.length === members.length ? ring : undefined;
}

/** Shortest path from `from` to `to` staying inside one component (breadth-first), both ends included. */
function shortestPath(from: number, to: number, inside: (v: number) => number[]): number[] {
  const parent = new Map<number, number>([[from, from]]);
  const queue = [from];
  for (let head = 0; head < queue.length && !parent.has(to); head++) {
    const v = queue[head] as number;
    for (const w of inside(v)) {
      if (parent.has(w)) continue;
      parent.set(w, v);
      queue.push(w);
    }
  }
  const path = [to];
  for (let v = to; v !== from; v = parent.get(v) as number) path.push(parent.get(v) as number);
  return path.reverse();
}

/**
 * Every declaration that lies on a dependency cycle (an object depending on itself included),
 * each with a cycle through it. Components are found in linear time; a simple cycle (the usual
 * case, however long) is walked once; in a tangled component each entry gets its shortest way
 * back (a breadth-first search inside the component).
 */
export function cycleEntries(graph: DependencyGraph): CycleEntry[] {
  const targets = graph.edges.map((edges, from) => distinctTargets(edges, from));
  const componentOf = componentIds(targets);
  const onCycle = (from: number, edge: DependencyEdge): boolean => componentOf[edge.to] === componentOf[from];
  const entries = graph.edges.flatMap((edges, from) =>
    edges.filter((e) => onCycle(from, e)).map((edge) => ({ from, edge })),
  );
  if (entries.length === 0) return [];

  const members = new Map<number, number[]>();
  for (const { from } of entries) members.set(componentOf[from] as number, []);
  componentOf.forEach((c, v) => members.get(c)?.push(v));
  const inside = (v: number): number[] => (targets[v] ?? []).filter((w) => componentOf[w] === componentOf[v]);
  const rings = new Map<number, { ring: number[]; position: Map<number, number> } | null>();
  return entries.map(({ from, edge }) => {
    if (edge.to === from) return { from, edge, cycle: { ring: [from], start: 0 } };
    const component = componentOf[from] as number;
    if (!rings.has(component)) {
      const ring = ringOf(members.get(component) ?? [], inside);
      rings.set(component, ring ? { ring, position: new Map(ring.map((v, k) => [v, k])) } : null);
    }
    const known = rings.get(component);
    const cycle = known
      ? { ring: known.ring, start: known.position.get(from) ?? 0 }
      : { ring: [from, ...shortestPath(edge.to, from, inside).slice(0, -1)], start: 0 };
    return { from, edge, cycle };
  });
}
