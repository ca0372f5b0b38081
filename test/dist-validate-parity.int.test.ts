/**
 * The built CLI (dist/bosun.mjs, whose built-in kind validators are generated at build time with
 * ajv's standalone code: scripts/precompile-validators.mjs) reports exactly what the sources do
 * (run-time schema compile): same exit code and same diagnostics — code, file, line, col, pointer,
 * message incl. the schemas' x-message texts — on every case of the bad-input corpus and on the
 * example fleet (defaults applied the same way: same objects).
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { validateCommand } from "../engine/cli/index.ts";
import { builtinKinds } from "../engine/kinds/builtin.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const corpus = join(import.meta.dirname, "bad-input");
const dirs = [
  ...readdirSync(corpus)
    .sort()
    .map((name) => relative(root, join(corpus, name))),
  "fleet-repo-example",
];

interface Outcome {
  code: number;
  stdout: string;
}

async function built(args: string[]): Promise<Outcome> {
  try {
    const r = await run(process.execPath, [join(root, "dist/bosun.mjs"), ...args], { cwd: root });
    return { code: 0, stdout: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "" };
  }
}

/** The sources' path, in this process: schemas compiled at run time. Paths resolve against the repo root. */
async function sources(dir: string, format: string[] = []): Promise<Outcome> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => chunks.push(c));
  const code = await validateCommand.run({
    args: [...format, join(root, dir)],
    stdout,
    stderr: new PassThrough(),
    signal: AbortSignal.timeout(60_000),
  });
  stdout.end();
  const text = Buffer.concat(chunks).toString("utf8");
  return { code, stdout: text.split(`${root}/`).join("") };
}

describe("dist/bosun.mjs validate = sources' validate", () => {
  beforeAll(async () => {
    await run(process.execPath, [join(root, "bench/scale/build.mjs")], { cwd: root });
  }, 120_000);

  it("loads the generated validators with validate's own modules", () => {
    // The modules dist/app/main.mjs imports statically (validate's; plan/approve/serve load on demand).
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:^import|^} from|\bfrom) "(\.{1,2}\/[^"]+)"/gm))
        visit(join(dirname(file), m[1]!));
    };
    visit(join(root, "dist/app/main.mjs"));
    const generated = [...seen].map((f) => readFileSync(f, "utf8")).filter((t) => t.includes("precompiledKind0"));
    expect(generated).toHaveLength(1);
    for (const id of ["FARAgent", "WorkloadCluster", "EdgeWorkload", "BosunConfig", "Approval"])
      expect(generated[0]).toContain(`https://bosun.dev/schemas/${id}.json`);
  });

  it("generates a validator for every built-in kind schema, matched at run time by its exact text", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bosun-validators-"));
    try {
      const out = join(dir, "validators.mjs");
      await run(process.execPath, [join(root, "scripts/precompile-validators.mjs"), out], { cwd: root });
      const text = await readFile(out, "utf8");
      const schemas = builtinKinds.registrations.flatMap((k) => (k.schema ? [k.schema] : []));
      expect(schemas.length).toBeGreaterThanOrEqual(10);
      for (const schema of schemas) expect(text).toContain(`schemaJson: ${JSON.stringify(JSON.stringify(schema))}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(dirs)(
    "%s: same exit code and JSON diagnostics",
    async (dir) => {
      const json = ["--format", "json"];
      const [a, b] = await Promise.all([built(["validate", ...json, dir]), sources(dir, json)]);
      expect(a.code).toBe(b.code);
      expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
      if (dir !== "fleet-repo-example") expect(a.code).toBe(1);
    },
    60_000,
  );

  it.each([
    "fleet-repo-example",
    "test/bad-input/max-unavailable-invalid",
    "test/bad-input/approval-bad-revision",
    "test/bad-input/yaml-syntax",
  ])(
    "%s: same text output",
    async (dir) => {
      const [a, b] = await Promise.all([built(["validate", dir]), sources(dir)]);
      expect(a).toEqual(b);
    },
    60_000,
  );
});
