import { cp, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadFleet } from "../../engine/desired/load-fleet.ts";
import { readDirectory } from "../../engine/desired/read-directory.ts";
import { readDeployment } from "../../engine/kinds/device-process-deployment/deployment.ts";
import { readWorkload } from "../../engine/kinds/edge-workload/workload.ts";
import { approvalDocument } from "../../engine/rollout/approvals.ts";
import { createBareRepo, git, type GitServer } from "../git-server/index.ts";

export interface LabRepo {
  readonly url: string;
  /** A working clone for the person running the demo: edit, commit, push here. */
  readonly clone: string;
}

/**
 * Seeds the lab git server with the example fleet plus approvals for its initial revisions
 * (the release the demo starts from is approved; the next one waits for `bosun approve`).
 */
export async function seedFleetRepo(server: GitServer, exampleDir: string, workDir: string): Promise<LabRepo> {
  await createBareRepo(server.root, "fleet");
  const url = `${server.url}/fleet.git`;
  const clone = join(workDir, "fleet");
  await git(["clone", "--quiet", url, clone]);
  await cp(exampleDir, clone, { recursive: true });
  const loaded = loadFleet(await readDirectory(clone));
  if (!loaded.ok) throw new Error(`fleet-repo-example is invalid: ${loaded.diagnostics[0]?.message ?? ""}`);
  for (const object of loaded.objects.filter((o) => o.kind === "DeviceProcessDeployment")) {
    const deployment = readDeployment(object, loaded.config);
    for (const wave of deployment.waves.filter((w) => w.approval === "required")) {
      const doc = approvalDocument({
        namespace: object.namespace,
        name: object.name,
        wave: wave.name,
        revision: deployment.revision,
        approvedBy: "lab bootstrap",
        folder: loaded.config.paths.approvals,
      });
      await mkdir(dirname(join(clone, doc.path)), { recursive: true });
      await writeFile(join(clone, doc.path), doc.text);
    }
  }
  // EdgeWorkloads: their first release approved too (the wave that waits is the next revision's).
  for (const object of loaded.objects.filter((o) => o.kind === "EdgeWorkload")) {
    const workload = readWorkload(object);
    for (const wave of workload.waves.filter((w) => w.approval === "required")) {
      const doc = approvalDocument({
        kind: "EdgeWorkload",
        namespace: object.namespace,
        name: object.name,
        wave: wave.name,
        revision: workload.revision,
        approvedBy: "lab bootstrap",
        folder: loaded.config.paths.approvals,
      });
      await mkdir(dirname(join(clone, doc.path)), { recursive: true });
      await writeFile(join(clone, doc.path), doc.text);
    }
  }
  const identity = ["-c", "user.name=Lab Operator", "-c", "user.email=operator@lab.invalid"];
  await git([...identity, "-C", clone, "add", "-A", "."]);
  await git([
    ...identity,
    "-C",
    clone,
    "commit",
    "--quiet",
    "--no-gpg-sign",
    "-m",
    "Example fleet with approvals for its first release",
  ]);
  await git(["-C", clone, "push", "--quiet", "origin", "HEAD:main"]);
  await git(["-C", clone, "config", "user.name", "Lab Operator"]);
  await git(["-C", clone, "config", "user.email", "operator@lab.invalid"]);
  return { url, clone };
}
