/**
 * The engine's public surface: what the composition root (app/), the lab, benchmarks and other
 * edges use. Modules inside engine/ import each other directly, never this file.
 */
export { ExitCode, type Command, type CommandIO } from "./cli/command.ts";
export { main as runCli } from "./cli/main.ts";
export { validateCommand } from "./cli/validate-command.ts";

export { dependenciesOf, dependencyLayers } from "./desired/dependencies.ts";
export { loadFleet, type DesiredState, type LoadResult } from "./desired/load-fleet.ts";
export { readDirectory } from "./desired/read-directory.ts";
export { locate } from "./desired/locate.ts";
export { parseYamlFile } from "./desired/parse-yaml.ts";
export { schemaDiagnostics } from "./desired/schema-errors.ts";

export { loadCredentials, type CredentialSource, type GitCredentials } from "./git/credentials.ts";
export { GitMirror } from "./git/mirror.ts";
export { FleetTreeReader } from "./git/read-files.ts";

export { builtinKinds } from "./kinds/builtin.ts";
export { digest } from "./kinds/canonical-json.ts";
export { readDeployment } from "./kinds/device-process-deployment/deployment.ts";
export {
  DEVICE_FLEET,
  type DeviceFleet,
  type LiveDeployment,
  type LiveState,
} from "./kinds/device-process-deployment/ports.ts";
export { farAgentMetrics } from "./kinds/far-agent/metrics.ts";
export { tenantClusterMetrics } from "./kinds/tenant-cluster/metrics.ts";
export { KindRegistry } from "./kinds/kind-registry.ts";
export type { KindRegistration, RolloutReport } from "./kinds/registration.ts";

export { createLogger, type Logger } from "./log/logger.ts";
export type { GitLoopConfig } from "./loop/config.ts";
export type { ApplyContext, DesiredStateConsumer } from "./loop/consumer.ts";
export { LocalDirLoop, type LocalLoopConfig } from "./loop/local-dir-loop.ts";
export type { LocalPassOutcome } from "./loop/local-pass.ts";
export { ReconcileLoop } from "./loop/loop.ts";
export type { PassOutcome } from "./loop/pass.ts";
export { webhookSecretProblem } from "./loop/webhook-secret.ts";
export { EngineMetrics } from "./metrics/metrics.ts";

export type { Change } from "./model/change.ts";
export { formatDiagnostic, type Diagnostic } from "./model/diagnostic.ts";
export { BosunError, SinkError, UsageError, type SinkErrorKind } from "./model/errors.ts";
export type { FleetObject } from "./model/fleet-object.ts";
export { describeRef, refKey, refOf, type JsonObject, type ObjectRef } from "./model/object-ref.ts";

export { computePlan, type PlanOptions } from "./plan/compute-plan.ts";
export type { Plan } from "./plan/plan.ts";
export { renderPlanMarkdown, renderPlanText } from "./plan/render-plan.ts";

export { backendPass } from "./reconcile/backend-pass.ts";
export { FleetReconciler, type FleetReconcilerOptions, type PassReport } from "./reconcile/fleet-reconciler.ts";
export type { Backend, EventRecorder, InventoryStore, LiveSource, Observed, Sink } from "./reconcile/ports.ts";
export { BackendPorts } from "./reconcile/ports.ts";

export { approvalDocument } from "./rollout/approvals.ts";
export type { ObjectStatus } from "./status/types.ts";

export * from "./pull-requests/index.ts";
