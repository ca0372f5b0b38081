/** The simulator CLI as a child process against the real kube-apiserver. */
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, it } from "vitest";
import { createTestNamespace, kubeClient, kubeConnection } from "../../test/support/kube.ts";

const client = kubeClient();
afterAll(() => client.close());

it("CLI installs CRDs, creates the inventory and leases, and exits 0 on SIGTERM", async () => {
  const ns = await createTestNamespace(client, "simcli");
  try {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "lab/devices/cli.ts",
        "--kubeconfig",
        kubeConnection().kubeconfigPath,
        "--namespace",
        ns.name,
        "--install-crds",
        "--switches",
        "3",
        "--bmcs",
        "2",
        "--racks",
        "1",
        "--spines",
        "0",
        "--stats-every",
        "0",
      ],
      { cwd: new URL("../..", import.meta.url), stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const leases = (await client.list("coordination.k8s.io/v1", "Lease", { namespace: ns.name })).items;
      if (leases.length === 5) break;
      if (Date.now() > deadline) throw new Error(`no leases; simulator stderr:\n${stderr}`);
      await sleep(200);
    }
    const bmcs = (await client.list("azure.com/v1alpha1", "BMC", { namespace: ns.name })).items
      .map((o) => o.metadata.name)
      .sort();
    expect(bmcs).toEqual(["bmc-rack1-01", "bmc-rack1-02"]);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("device simulator stopped");
  } finally {
    await ns.cleanup();
  }
});
