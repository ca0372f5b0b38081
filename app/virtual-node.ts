/**
 * `bosun serve` with `backends.flightctl.virtualNode`: the virtual node (sinks/flightctl/virtual-node)
 * runs beside the engine with its own Kubernetes and Flightctl clients, and stops with it.
 */
import { KubeClient } from "../clients/kubernetes/index.ts";
import type { Logger } from "../engine/index.ts";
import { FlightctlEdgeFleet, flightctlClientOf, parseFlightctlConfig, VirtualNode } from "../sinks/flightctl/index.ts";
import type { EngineConfig } from "./engine-config.ts";
import { clusterConfig } from "./kube-config.ts";

export interface RunningVirtualNode {
  readonly name: string;
  stop(): Promise<void>;
}

/** Starts the virtual node when the engine config asks for one; undefined otherwise. */
export function startVirtualNode(config: EngineConfig, logger: Logger): RunningVirtualNode | undefined {
  const settings = config.backends?.["flightctl"];
  if (settings === undefined) return undefined;
  const flightctl = parseFlightctlConfig(settings, "engine config");
  if (!flightctl.virtualNode) return undefined;
  const kube = new KubeClient(clusterConfig(config.kubernetes, "kubernetes.kubeconfig"), {
    qps: 20,
    burst: 40,
    userAgent: "bosun-virtual-node",
  });
  const client = flightctlClientOf(flightctl);
  const node = new VirtualNode({
    kube,
    edge: new FlightctlEdgeFleet(client, flightctl.offlineTimeoutMs),
    config: flightctl.virtualNode,
    logger: logger.child({ component: "virtual-node" }),
  });
  node.start();
  logger.info({ node: node.name }, "virtual node started: Pods bound to it run on Flightctl devices");
  return {
    name: node.name,
    async stop() {
      await node.stop();
      kube.close();
      await client.close();
    },
  };
}
