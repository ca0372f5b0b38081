/**
 * Summarises a .cpuprofile: top functions by self time. Usage: node --import tsx bench/scale/profile-summary.ts FILE
 * [N]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function summarize(file: string, top = 15): string[] {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const byFn = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    total += t;
    const where = n.callFrame.url.replace(/^.*\/main\//, "").replace(/^.*node_modules\//, "nm:");
    const key = `${n.callFrame.functionName || "(anonymous)"} ${where}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
  }
  return [...byFn]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, t]) => `${((t / total) * 100).toFixed(1)}% ${(t / 1000).toFixed(0)} ms ${k}`);
}

if (process.argv[1]?.endsWith("profile-summary.ts")) {
  for (const line of summarize(process.argv[2] ?? "", Number(process.argv[3] ?? 15))) console.log(line);
}
