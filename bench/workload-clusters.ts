/**
 * WorkloadCluster render + validate cost (pure, no I/O after loading the CRDs): N clusters of the example
 * template rendered and validated against Cluster API's CRDs (../shared/specs, unchanged), the KVM provider's and
 * lab/capi's stand-ins, as the controller does every pass for each cluster. Writes bench/results/workload-clusters.md.
 *
 *   node --import tsx bench/workload-clusters.ts [N]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { renderTemplate } from "../engine/kinds/workload-cluster/render.ts";
import { CrdValidators, validateRendered } from "../engine/kinds/workload-cluster/validate.ts";
import type { FleetObject } from "../engine/model/fleet-object.ts";
import { managementCrdFiles } from "../lab/capi/crds.ts";
import { loadManifests } from "../sinks/kubernetes/manifests.ts";

const root = join(import.meta.dirname, "..");
const n = Number(process.argv[2] ?? 1000);
const path = "clusters/templates/cluster-template-kvm.yaml";
const text = readFileSync(join(root, "fleet-repo-example", path), "utf8");
const load = loadavg();

const crds = [];
for (const f of managementCrdFiles()) crds.push(...(await loadManifests(f)));
let t = performance.now();
const validators = new CrdValidators(crds as never);
const compileMs = performance.now() - t;

const wc = (i: number): FleetObject => ({
  apiVersion: "fleet.bosun.dev/v1alpha1",
  kind: "WorkloadCluster",
  namespace: "clusters",
  name: `kvm-${i}`,
  body: {
    metadata: { name: `kvm-${i}`, namespace: "clusters" },
    spec: {
      template: path,
      variables: { KUBERNETES_VERSION: "v1.30.1", CONTROL_PLANE_MACHINE_COUNT: 3, WORKER_MACHINE_COUNT: 5 + (i % 7) },
    },
  },
  source: { file: `clusters/kvm-${i}.yaml`, line: 1, col: 1 },
});

let objects = 0;
let renderMs = 0;
let validateMs = 0;
for (let i = 0; i < n; i++) {
  t = performance.now();
  const r = renderTemplate(wc(i), path, text);
  renderMs += performance.now() - t;
  if (!r.ok) throw new Error("render failed");
  objects += r.objects.length;
  t = performance.now();
  const problems = validateRendered(r.objects, validators, `WorkloadCluster clusters/kvm-${i}`, "mgmt");
  validateMs += performance.now() - t;
  if (problems.length > 0) throw new Error(problems[0]?.message);
}
const heap = process.memoryUsage();
const md = `# WorkloadCluster render + validate (bench/workload-clusters.ts)

Measured ${new Date().toISOString()} on ${cpus()[0]?.model ?? "?"} (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB), Node ${process.version}.
Load average before: ${load.map((l) => l.toFixed(2)).join(" / ")} (the cores are shared with other engineers' test runs).

| step | total | per cluster |
| --- | --- | --- |
| compile the 8 CRDs' schemas (once per management cluster and CRD change) | ${compileMs.toFixed(0)} ms | — |
| render ${n} clusters (${objects} objects) | ${renderMs.toFixed(0)} ms | ${(renderMs / n).toFixed(2)} ms |
| validate them against the CRDs | ${validateMs.toFixed(0)} ms | ${(validateMs / n).toFixed(2)} ms |

- Template: \`fleet-repo-example/${path}\` (7 objects). CRDs: Cluster API v1.14.0 Cluster / MachineDeployment / Machine
  (unchanged), the KVM provider's three, lab/capi's two stand-ins.
- Heap used after the run: ${(heap.heapUsed / 2 ** 20).toFixed(1)} MiB (RSS ${(heap.rss / 2 ** 20).toFixed(1)} MiB).
- What a pass costs beyond this is I/O: per cluster one CRD list of the management cluster (cached validators
  while no CRD changed), one GET + one server-side apply per rendered object (no write when unchanged), the
  inventory ConfigMap, the status reads, and one \`virsh list\` + \`dumpxml\` per domain per KVM host.
`;
writeFileSync(join(root, "bench/results/workload-clusters.md"), md);
process.stdout.write(md);
