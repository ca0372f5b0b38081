/**
 * The backends this engine runs, registered in one place: name → how to build it from the
 * engine config. Adding a backend = its client, sink and source folders + one entry here.
 */
import type { KubeClient } from "../clients/kubernetes/index.ts";
import type { Backend, Logger } from "../engine/index.ts";
import { kubernetesBackend, type LiveReadModel } from "../sinks/kubernetes/index.ts";

/** What every backend factory gets. */
export interface BackendContext {
  readonly logger: Logger;
  /** The cluster client: Bosun keeps its inventory and events there for every backend. */
  readonly kube: KubeClient;
  /** The engine's live read model (absent for one-shot commands such as `bosun plan`). */
  readonly live?: LiveReadModel;
  readonly stateNamespace?: string;
}

export interface BackendRegistration {
  readonly name: string;
  create(context: BackendContext): Backend;
}

export const backendRegistrations: readonly BackendRegistration[] = [
  {
    name: "kubernetes",
    create: ({ kube, logger, live, stateNamespace }) =>
      kubernetesBackend({
        client: kube,
        logger,
        ...(live ? { live } : {}),
        ...(stateNamespace ? { stateNamespace } : {}),
      }),
  },
];

/** Every registered backend, built for this engine. */
export function createBackends(context: BackendContext): Backend[] {
  return backendRegistrations.map((r) => r.create(context));
}
