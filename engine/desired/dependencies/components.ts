/**
 * Strongly connected components of a directed graph given as successor lists (Tarjan's algorithm,
 * iterative so a chain of 100,000 objects does not overflow the stack). Linear in nodes + edges.
 * Returns the component id of every node; nodes of one cycle share an id.
 */
export function componentIds(successors: readonly (readonly number[])[]): Int32Array {
  const n = successors.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const componentOf = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  let counter = 0;
  let components = 0;

  const visit = (v: number, frames: [number, number][]): void => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    frames.push([v, 0]);
  };

  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const frames: [number, number][] = [];
    visit(root, frames);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as [number, number];
      const v = frame[0];
      const next = successors[v] ?? [];
      if (frame[1] < next.length) {
        const w = next[frame[1]++] as number;
        if (index[w] === -1) visit(w, frames);
        else if (onStack[w] === 1) low[v] = Math.min(low[v] as number, index[w] as number);
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] !== index[v]) continue;
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        componentOf[w] = components;
      } while (w !== v);
      components++;
    }
  }
  return componentOf;
}
