/**
 * The approver of device CSRs, for the engine side (kube-controller-manager signs the
 * `kubernetes.io/kube-apiserver-client` signer but never approves it). Lists and watches the CSRs
 * labelled `bosun.dev/device` (CSRs without that label, e.g. of people, are not its business),
 * reviews each pending one with reviewDeviceCsr against the device inventory (a NetworkSwitch,
 * SOC, BMC, Server or DPU of group azure.com/v1alpha1 with the device's name must exist, in
 * `inventoryNamespace` when given, else in any namespace), and approves or denies it with the
 * review's reason through the `/approval` subresource. Run by `bosun-agent approve-csrs`
 * (approve-cli.ts).
 */
import { lines } from "../kube/watch.ts";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../backends/proc.ts";
import { isStatus, type KubeClient } from "../kube/client.ts";
import { reviewDeviceCsr, type CsrObject, type Review } from "./approver.ts";

export const CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
const DEVICE_LABEL = "bosun.dev/device";
/** Plurals of the inventory kinds (azure.com/v1alpha1) a device may be. */
export const INVENTORY_PLURALS = ["networkswitches", "socs", "bmcs", "servers", "dpus"] as const;

export interface Csr extends CsrObject {
  metadata: { name: string; resourceVersion?: string };
  status?: { conditions?: { type: string; status?: string }[]; certificate?: string };
}

export interface CsrApproverOptions {
  client: KubeClient;
  log: Logger;
  signal: AbortSignal;
  /** Is `device` in the inventory? Default: inventoryHas in `inventoryNamespace`. */
  knownDevice?: (device: string, signal: AbortSignal) => Promise<boolean>;
  /** Where the inventory objects live; undefined = any namespace. */
  inventoryNamespace?: string;
  /** After each decision (tests, metrics). */
  onDecision?: (csr: string, review: Review) => void;
  backoffMs?: { base: number; max: number };
}

/** An inventory object named `device` of one of INVENTORY_PLURALS, in `namespace` (undefined = any). */
export async function inventoryHas(
  client: KubeClient,
  device: string,
  signal?: AbortSignal,
  namespace?: string,
): Promise<boolean> {
  const group = "/apis/azure.com/v1alpha1";
  const base = namespace === undefined ? group : `${group}/namespaces/${encodeURIComponent(namespace)}`;
  const query = `fieldSelector=${encodeURIComponent(`metadata.name=${device}`)}&limit=1`;
  for (const plural of INVENTORY_PLURALS) {
    try {
      const path = `${base}/${plural}?${query}`;
      const list = await client.json<{ items: unknown[] }>("GET", path, undefined, signal ? { signal } : {});
      if (list.items.length > 0) return true;
    } catch (err) {
      if (isStatus(err, 404)) continue; // this kind is not installed
      throw err;
    }
  }
  return false;
}

const pending = (c: Csr): boolean =>
  !c.status?.conditions?.some((x) => x.type === "Approved" || x.type === "Denied" || x.type === "Failed");

/** Reviews one CSR and records the decision; undefined when it was already decided. */
export async function decide(
  o: Pick<CsrApproverOptions, "client" | "knownDevice" | "inventoryNamespace" | "log">,
  csr: Csr,
  signal: AbortSignal,
): Promise<Review | undefined> {
  if (!pending(csr) || csr.spec.signerName !== "kubernetes.io/kube-apiserver-client") return undefined;
  // Everything but the inventory first (pure); the inventory is asked only for an otherwise valid request.
  const pre = reviewDeviceCsr(csr, () => true);
  let review = pre;
  if (pre.approve && pre.device !== undefined) {
    const knownDevice = o.knownDevice ?? ((d, s) => inventoryHas(o.client, d, s, o.inventoryNamespace));
    const known = await knownDevice(pre.device, signal);
    review = reviewDeviceCsr(csr, () => known);
  }
  const condition = review.approve
    ? { type: "Approved", status: "True", reason: "BosunDeviceApproved", message: review.reason }
    : { type: "Denied", status: "True", reason: "BosunDeviceDenied", message: review.reason };
  try {
    await o.client.json(
      "PUT",
      `${CSR_PATH}/${encodeURIComponent(csr.metadata.name)}/approval`,
      {
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        ...csr,
        status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] },
      },
      { signal },
    );
  } catch (err) {
    // changed or deleted meanwhile: the watch brings it again if still pending
    if (isStatus(err, 409, 404)) return undefined;
    throw err;
  }
  o.log.info(review.approve ? "device CSR approved" : "device CSR denied", {
    csr: csr.metadata.name,
    device: review.device,
    reason: review.reason,
  });
  return review;
}

/** Runs until the signal aborts: list, decide the pending ones, watch; re-lists after any error. */
export async function runCsrApprover(o: CsrApproverOptions): Promise<void> {
  const { base, max } = o.backoffMs ?? { base: 500, max: 30_000 };
  let backoff = base;
  const sel = `labelSelector=${encodeURIComponent(DEVICE_LABEL)}`;
  const handle = async (csr: Csr): Promise<void> => {
    const review = await decide(o, csr, o.signal);
    if (review) o.onDecision?.(csr.metadata.name, review);
  };
  while (!o.signal.aborted) {
    try {
      const list = await o.client.json<{ metadata: { resourceVersion: string }; items: Csr[] }>(
        "GET",
        `${CSR_PATH}?${sel}`,
        undefined,
        { signal: o.signal },
      );
      for (const csr of list.items) await handle(csr);
      const res = await o.client.raw(
        "GET",
        `${CSR_PATH}?${sel}&watch=1&timeoutSeconds=300&resourceVersion=${list.metadata.resourceVersion}`,
        { signal: o.signal, timeoutMs: 330_000 },
      );
      if (res.statusCode !== 200) {
        res.resume();
        throw new Error(`CSR watch answered HTTP ${res.statusCode ?? 0}`);
      }
      backoff = base;
      for await (const line of lines(res)) {
        const ev = JSON.parse(line) as { type: string; object: Csr & { code?: number; message?: string } };
        if (ev.type === "ERROR")
          throw new Error(`CSR watch error ${ev.object.code ?? "?"}: ${ev.object.message ?? ""}`);
        if (ev.type === "ADDED" || ev.type === "MODIFIED") await handle(ev.object);
      }
    } catch (err) {
      if (o.signal.aborted) break;
      o.log.warn("CSR approver: list/watch failed; re-listing", { error: errorMessage(err), retryInMs: backoff });
      await sleep(backoff, o.signal).catch(() => undefined);
      backoff = Math.min(max, backoff * 2);
    }
  }
}
