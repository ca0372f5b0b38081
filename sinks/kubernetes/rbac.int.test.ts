import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../../test/support/kube.ts";
import { loadManifests } from "./manifests.ts";
import { describeRef } from "../../engine/model/object-ref.ts";
import { KubernetesSink } from "./sink.ts";

interface Review {
  status: { allowed: boolean };
}

describe("deploy/rbac", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  const sa = [
    "system:serviceaccount:bosun-system:bosun",
    ["system:serviceaccounts", "system:serviceaccounts:bosun-system"],
  ] as const;
  beforeAll(async () => {
    client = kubeClient();
    ns = await createTestNamespace(client, "rbac");
  });
  afterAll(async () => {
    await ns.cleanup();
    client.close();
  });

  async function can(
    user: string,
    groups: string[],
    verb: string,
    group: string,
    resource: string,
    subresource = "",
  ): Promise<boolean> {
    const r = await client.rest.request<Review>({
      method: "POST",
      path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: { user, groups, resourceAttributes: { namespace: ns.name, verb, group, resource, subresource } },
      },
    });
    return r.status.allowed;
  }

  /**
   * A grant just applied reaches the apiserver's RBAC authorizer through its informers: ask until it is there (10 s).
   */
  async function granted(
    user: string,
    groups: string[],
    verb: string,
    group: string,
    resource: string,
  ): Promise<boolean> {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if (await can(user, groups, verb, group, resource)) return true;
    }
    return false;
  }

  it("applies, and grants the engine and device agents what they need and no more", async () => {
    const objs = await loadManifests(fileURLToPath(new URL("../../deploy/rbac/bosun.yaml", import.meta.url)));
    const entries = await new KubernetesSink({ client }).apply(objs, AbortSignal.timeout(120_000));
    expect(entries.filter((e) => e.error !== undefined).map((e) => `${describeRef(e.ref)}: ${e.reason}`)).toEqual([]);
    expect(await granted(sa[0], [...sa[1]], "patch", "azure.com", "deviceprocessdeployments")).toBe(true);
    expect(await granted(sa[0], [...sa[1]], "delete", "azure.com", "deviceprocesses")).toBe(true);
    expect(await granted(sa[0], [...sa[1]], "list", "azure.com", "networkswitches")).toBe(true);
    expect(await can(sa[0], [...sa[1]], "delete", "azure.com", "networkswitches")).toBe(false);
    expect(await can(sa[0], [...sa[1]], "get", "", "secrets")).toBe(false);
    expect(await can(sa[0], [...sa[1]], "create", "rbac.authorization.k8s.io", "roles")).toBe(false); // only with the opt-in below
  });

  it("with deploy/rbac/bosun-agent-rbac.yaml the engine may keep the per-device Roles (agents.rbac), still without reading Secrets", async () => {
    const objs = await loadManifests(
      fileURLToPath(new URL("../../deploy/rbac/bosun-agent-rbac.yaml", import.meta.url)),
    );
    const entries = await new KubernetesSink({ client }).apply(objs, AbortSignal.timeout(120_000));
    expect(entries.filter((e) => e.error !== undefined).map((e) => `${describeRef(e.ref)}: ${e.reason}`)).toEqual([]);
    for (const verb of ["create", "patch", "delete", "escalate", "bind"])
      expect(await granted(sa[0], [...sa[1]], verb, "rbac.authorization.k8s.io", "roles"), verb).toBe(true);
    expect(await granted(sa[0], [...sa[1]], "create", "rbac.authorization.k8s.io", "rolebindings")).toBe(true);
    expect(await can(sa[0], [...sa[1]], "create", "rbac.authorization.k8s.io", "clusterroles")).toBe(false);
    expect(await can(sa[0], [...sa[1]], "get", "", "secrets")).toBe(false);
  });
});
