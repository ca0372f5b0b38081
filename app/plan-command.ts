import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
// Light at load time (`bosun plan --help` must start fast): the engine, Kubernetes and the forge
// clients are imported when the plan runs.
import { ExitCode, UsageError, type Command } from "../engine/cli/index.ts";
import type { ApproverPolicy, Diagnostic, Plan } from "../engine/index.ts";

const FORGES = ["gitea", "github"] as const;

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

Pull requests (CI jobs without the engine): the same comment and commit status the engine keeps
on a PR. The comment is found by its hidden marker and the token's login over every comment
page and edited in place (split into numbered parts when long); the status is on the PR's head.
  --comment             post or update the plan comment on PR --pr
  --status              set the commit status (context bosun/plan[/SCOPE]) on the PR's head
  --pr N                the pull request
  --forge KIND          gitea (also Forgejo) or github
  --forge-url URL       Gitea: the server root; GitHub: the API root (https://api.github.com)
  --forge-repo O/N      the fleet repo on the forge, OWNER/NAME
  --forge-token-file F  the token (default: the BOSUN_FORGE_TOKEN environment variable); never printed
  --scope NAME          the comment's and status's scope (default: default)
An invalid fleet then gives a comment listing file:line problems and a failure status (exit 1).

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
        comment: { type: "boolean", default: false },
        status: { type: "boolean", default: false },
        pr: { type: "string" },
        forge: { type: "string" },
        "forge-url": { type: "string" },
        "forge-repo": { type: "string" },
        "forge-token-file": { type: "string" },
        scope: { type: "string", default: "default" },
      },
    });
    const forge = forgeOptions(values);
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
    const [engine, { KubeClient }, { createBackends }, { loadDesiredSource }, { readEngineConfig }, { clusterConfig }] =
      await Promise.all([
        import("../engine/index.ts"),
        import("../clients/kubernetes/index.ts"),
        import("./backends.ts"),
        import("./desired-source.ts"),
        import("./engine-config.ts"),
        import("./kube-config.ts"),
      ]);
    const {
      builtinKinds,
      computePlan,
      createLogger,
      dependenciesOf,
      formatDiagnostic,
      renderPlanMarkdown,
      renderPlanText,
    } = engine;
    const publish = forge ? await forgePublisher(forge, signal) : undefined;
    const loaded = await loadDesiredSource(source, signal);
    if (!loaded.result.ok) {
      await publish?.({ diagnostics: loaded.result.diagnostics }, undefined);
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
      await publish?.({ plan }, loaded.result.config.pullRequests?.approvers);
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

interface ForgeOptions {
  readonly kind: (typeof FORGES)[number];
  readonly url: string;
  readonly repo: string;
  readonly pr: number;
  readonly comment: boolean;
  readonly status: boolean;
  readonly scope: string;
  readonly tokenFile?: string;
}

/** --comment/--status and their --forge-* companions, checked together (usage errors name the flag). */
function forgeOptions(values: {
  comment?: boolean | undefined;
  status?: boolean | undefined;
  pr?: string | undefined;
  forge?: string | undefined;
  "forge-url"?: string | undefined;
  "forge-repo"?: string | undefined;
  "forge-token-file"?: string | undefined;
  scope?: string | undefined;
}): ForgeOptions | undefined {
  const wanted = values.comment === true || values.status === true;
  const given = ["pr", "forge", "forge-url", "forge-repo", "forge-token-file"].filter(
    (k) => values[k as keyof typeof values] !== undefined,
  );
  if (!wanted) {
    if (given.length > 0) throw new UsageError("bosun plan", `--${given[0]} goes with --comment or --status`);
    return undefined;
  }
  const missing = ["pr", "forge", "forge-url", "forge-repo"].filter(
    (k) => values[k as keyof typeof values] === undefined,
  );
  if (missing.length > 0)
    throw new UsageError("bosun plan", `--comment/--status need ${missing.map((m) => `--${m}`).join(", ")}`);
  const kind = values.forge as (typeof FORGES)[number];
  if (!FORGES.includes(kind))
    throw new UsageError("bosun plan", `--forge must be gitea or github, not ${JSON.stringify(values.forge)}`);
  const pr = Number(values.pr);
  if (!Number.isInteger(pr) || pr <= 0)
    throw new UsageError("bosun plan", `--pr must be a PR number, not ${JSON.stringify(values.pr)}`);
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(values["forge-repo"]!))
    throw new UsageError("bosun plan", `--forge-repo must be OWNER/NAME, not ${JSON.stringify(values["forge-repo"])}`);
  if (!/^https?:\/\/\S+$/.test(values["forge-url"]!))
    throw new UsageError(
      "bosun plan",
      `--forge-url must be an http(s) URL, not ${JSON.stringify(values["forge-url"])}`,
    );
  return {
    kind,
    url: values["forge-url"]!,
    repo: values["forge-repo"]!,
    pr,
    comment: values.comment === true,
    status: values.status === true,
    scope: values.scope ?? "default",
    ...(values["forge-token-file"] ? { tokenFile: values["forge-token-file"] } : {}),
  };
}

type PlanOutcome = { plan: Plan } | { diagnostics: readonly Diagnostic[] };

/** Reads the token (before any planning: a missing one is the first error) and returns the publisher. */
async function forgePublisher(
  o: ForgeOptions,
  signal: AbortSignal,
): Promise<(outcome: PlanOutcome, policy: ApproverPolicy | undefined) => Promise<void>> {
  const [{ createForgeClient, readForgeToken }, { publishFromCli }, { createLogger, validScope }] = await Promise.all([
    import("../clients/forge/index.ts"),
    import("./pull-requests/index.ts"),
    import("../engine/index.ts"),
  ]);
  if (!validScope(o.scope)) throw new UsageError("bosun plan", `--scope must match [A-Za-z0-9._/-]{1,64}`);
  const token = await readForgeToken(o.tokenFile ? { file: o.tokenFile } : {});
  const forge = createForgeClient({ kind: o.kind, url: o.url, repo: o.repo, token });
  const logger = createLogger({ level: "warn" });
  return async (outcome, policy) => {
    await publishFromCli(
      {
        forge,
        number: o.pr,
        scope: o.scope,
        comment: o.comment,
        status: o.status,
        logger,
        outcome,
        ...(policy ? { policy } : {}),
      },
      signal,
    );
  };
}
