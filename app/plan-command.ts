import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { KubeClient } from "../clients/kubernetes/index.ts";
import {
  builtinKinds,
  computePlan,
  createLogger,
  dependenciesOf,
  ExitCode,
  formatDiagnostic,
  renderPlanMarkdown,
  renderPlanText,
  UsageError,
  type Command,
} from "../engine/index.ts";
import { createBackends } from "./backends.ts";
import { loadDesiredSource } from "./desired-source.ts";
import { readEngineConfig } from "./engine-config.ts";
import { clusterConfig } from "./kube-config.ts";

export const planCommand: Command = {
  name: "plan",
  summary: "preview what a directory, branch or commit would change: objects, rollout waves, approvals",
  usage: `Usage: bosun plan [DIR] [--repo URL --ref REF] [--kubeconfig FILE] [--config FILE] [--format text|markdown|json]

Computes desired vs live state without writing anything and prints what would change: objects to
create, update, correct (drift) or delete with their disruption class (none, restart, recreate,
delete), and for every DeviceProcessDeployment the rollout grouped by wave: devices per wave,
approvals it waits for, and the plan digest. Secret values are never printed.

The desired state comes from DIR (a working tree, default .) or from --repo URL --ref REF (a
branch, tag or commit; credentials from BOSUN_GIT_USERNAME/BOSUN_GIT_PASSWORD or BOSUN_GIT_TOKEN).

Options:
  --repo URL            fleet repo to read instead of a directory
  --ref REF             branch, tag or commit SHA (with --repo; default main)
  --kubeconfig FILE     cluster to compare with (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --config FILE         the engine config (bosun serve --config): its backends (Flintlock hosts) are
                        planned too, e.g. FAR agent microVM recreates per host
  --format FORMAT       text (default), markdown (for a PR comment) or json
  --no-heartbeats       do not use device Leases to find unreachable devices
  -h, --help            show this help

Exit codes: 0 no changes, 2 changes, 1 error (including an invalid fleet).`,
  async run({ args, stdout, stderr, signal }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        repo: { type: "string" },
        ref: { type: "string" },
        kubeconfig: { type: "string" },
        config: { type: "string" },
        format: { type: "string", default: "text" },
        "no-heartbeats": { type: "boolean", default: false },
      },
    });
    const format = values.format;
    if (format !== "text" && format !== "markdown" && format !== "json")
      throw new UsageError("bosun plan", `--format must be text, markdown or json, not ${JSON.stringify(format)}`);
    if (positionals.length > 1 || (values.repo && positionals.length > 0))
      throw new UsageError("bosun plan", "give one DIR or --repo, not both");
    const source = values.repo ? { repo: values.repo, ref: values.ref ?? "main" } : { dir: positionals[0] ?? "." };
    if ("dir" in source && !(await isDirectory(source.dir)))
      throw new UsageError(
        "bosun plan",
        `${source.dir} is not a directory; give the fleet repo's working tree (or --repo URL --ref REF)`,
      );
    const loaded = await loadDesiredSource(source, signal);
    if (!loaded.result.ok) {
      for (const d of loaded.result.diagnostics) stderr.write(`${formatDiagnostic(d)}\n`);
      stderr.write(
        `bosun plan: the fleet is invalid (${problems(loaded.result.diagnostics.length)}); fix them (bosun validate) before planning\n`,
      );
      return ExitCode.Failure;
    }
    const settings = values.config ? (await readEngineConfig(values.config)).backends : undefined;
    const kc = clusterConfig({ kubeconfig: values.kubeconfig }, "--kubeconfig");
    const logger = createLogger({ level: "warn" });
    const client = new KubeClient(kc, { userAgent: "bosun-plan" });
    try {
      const plan = await computePlan(
        loaded.result,
        {
          commit: loaded.commit,
          now: new Date(),
          backends: createBackends({ kube: client, logger, ...(settings ? { settings } : {}) }),
          kinds: builtinKinds,
          dependenciesOf,
          logger,
          useHeartbeats: !values["no-heartbeats"],
        },
        signal,
      );
      stdout.write(
        format === "json"
          ? `${JSON.stringify(plan, null, 2)}\n`
          : format === "markdown"
            ? renderPlanMarkdown(plan)
            : renderPlanText(plan),
      );
      return plan.hasChanges ? 2 : ExitCode.Ok;
    } finally {
      client.close();
    }
  },
};

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function problems(n: number): string {
  return n === 1 ? "1 problem" : `${n} problems`;
}
