import type { ForgeKind } from "../../engine/index.ts";

/** The engine config's `forge:` section (schemas/EngineConfig.json). */
export interface ForgeSettings {
  readonly kind: ForgeKind;
  readonly url: string;
  readonly repo: string;
  readonly tokenEnv?: string;
  readonly tokenFile?: string;
  readonly webhookSecretEnv?: string;
  readonly webhookSecretFile?: string;
  readonly scope?: string;
  readonly pollIntervalMs?: number;
  readonly maxWebhookBytes?: number;
  readonly publicUrl?: string;
}
