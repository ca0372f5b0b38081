/**
 * The dashboard, wired for `startEngine`: a read model fed by the engine's hooks and the HTTP
 * handler mounted on the engine's listener. See ARCHITECTURE.md, "The dashboard".
 */
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import type { KindRegistry } from "../../engine/index.ts";
import { resolveUiConfig, type UiConfig } from "./config.ts";
import { UiReadModel, type UiLiveSource } from "./read-model.ts";
import { UiServer, type EventsReader } from "./server.ts";
import { mirrorStatusFile } from "./status-file.ts";

export { resolveUiConfig, type UiConfig, type UiSettings } from "./config.ts";
export { UiReadModel, type UiLiveSource } from "./read-model.ts";
export { UiServer } from "./server.ts";

export interface Ui {
  readonly model: UiReadModel;
  readonly server: UiServer;
}

/** Kubernetes Events of one fleet object, newest first (at most 20). */
export function kubeEvents(client: KubeClient): EventsReader {
  return async (ref) => {
    const list = await client.list("v1", "Event", {
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      fieldSelector: `involvedObject.kind=${ref.kind},involvedObject.name=${ref.name}`,
      limit: 100,
    });
    return list.items
      .map((e) => {
        const o = e as Record<string, unknown>;
        const series = (o["series"] ?? {}) as { count?: number; lastObservedTime?: string };
        return {
          type: String(o["type"] ?? ""),
          reason: String(o["reason"] ?? ""),
          message: String(o["message"] ?? o["note"] ?? ""),
          count: Number(o["count"] ?? series.count ?? 1),
          lastSeen: String(o["lastTimestamp"] ?? series.lastObservedTime ?? o["eventTime"] ?? ""),
        };
      })
      .sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0))
      .slice(0, 20);
  };
}

/** Builds the dashboard from the engine config's `ui:` (undefined when `ui.enabled: false`). */
export async function createUi(
  config: UiConfig | undefined,
  deps: {
    readonly kinds: Pick<KindRegistry, "placeOf">;
    readonly live?: UiLiveSource;
    readonly client?: KubeClient;
    /** The engine's bare mirror and tracked ref: object pages show their status file from it. */
    readonly mirror?: { readonly gitdir: string; readonly ref: string };
    /** The poll interval: stale after three of them when that is longer than the default. */
    readonly pollIntervalMs?: number;
    /** Values never to show (the engine's credentials, read from their env variables or files). */
    readonly secrets?: readonly (string | undefined)[];
  },
): Promise<Ui | undefined> {
  const settings = await resolveUiConfig(config);
  if (!settings.enabled) return undefined;
  const staleAfterMs = settings.staleAfterMs ?? Math.max(180_000, 3 * (deps.pollIntervalMs ?? 60_000));
  const model = new UiReadModel({ kinds: deps.kinds, staleAfterMs, ...(deps.live ? { live: deps.live } : {}) });
  for (const name of ["BOSUN_GIT_PASSWORD", "BOSUN_GIT_TOKEN", "BOSUN_WEBHOOK_SECRET"])
    model.secrets.add(process.env[name]);
  model.secrets.add(...(deps.secrets ?? []));
  const server = new UiServer({
    model,
    settings,
    ...(deps.client ? { events: kubeEvents(deps.client) } : {}),
    ...(deps.mirror ? { statusFile: mirrorStatusFile(deps.mirror.gitdir, deps.mirror.ref, () => model.status) } : {}),
  });
  return { model, server };
}
