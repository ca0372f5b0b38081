/**
 * The engine image: `Containerfile` built by podman from the production bundle
 * (scripts/image-context.mjs). No registry is reachable here, so the Node base image is made
 * locally: the host's own node binary and the libraries it links, imported as a rootfs
 * (`podman import`) and passed as NODE_IMAGE. The image then runs (no network) as the non-root
 * user and checks the engine config the install ships.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");
const tag = `bosun-${process.pid}`;
const BASE = `localhost/${tag}-node-base:test`;
const IMAGE = `localhost/${tag}-engine:test`;
/** What containers need on this machine (../shared/research/real-components.md, lab/podman/install.sh). */
const RUN = [
  "--runtime",
  "runc",
  "run",
  "--rm",
  "--network=none",
  "--ulimit",
  "nofile=1024:1024",
  "--ulimit",
  "nproc=1024:1024",
];

async function podman(...args: string[]): Promise<string> {
  const { stdout } = await run("podman", args, { maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });
  return stdout;
}

/** A rootfs holding only node and the shared libraries it needs, as a local base image. */
async function localNodeBase(dir: string): Promise<void> {
  const rootfs = join(dir, "rootfs");
  const node = await realpath(process.execPath);
  const { stdout } = await run("ldd", [node]);
  const libs = [...stdout.matchAll(/(\/\S+\.so[^\s]*)/g)].map((m) => m[1]!);
  for (const file of [node, ...libs]) {
    const target = join(rootfs, file === node ? "/usr/local/bin/node" : file);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(await realpath(file), target);
  }
  await mkdir(join(rootfs, "tmp"), { recursive: true });
  await mkdir(join(rootfs, "etc"), { recursive: true });
  await writeFile(
    join(rootfs, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/false\nnonroot:x:65532:65532::/tmp:/bin/false\n",
  );
  await run("tar", ["-C", rootfs, "-cf", join(dir, "rootfs.tar"), "."]);
  await podman("import", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", join(dir, "rootfs.tar"), BASE);
}

describe("the engine image (Containerfile)", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bosun-image-"));
    await run("bash", [join(root, "lab/podman/install.sh"), join(dir, "podman")], { timeout: 240_000 });
    await run("bash", [join(root, "lab/kube/install-kubectl.sh")], { timeout: 240_000 });
    await localNodeBase(dir);
    await run(process.execPath, [join(root, "scripts/image-context.mjs"), join(dir, "context")], { cwd: root });
    await podman(
      "build",
      "--network=none",
      "--build-arg",
      `NODE_IMAGE=${BASE}`,
      "-f",
      join(root, "Containerfile"),
      "-t",
      IMAGE,
      join(dir, "context"),
    );
  }, 300_000);

  afterAll(async () => {
    await podman("rmi", "-f", IMAGE).catch(() => undefined);
    await podman("rmi", "-f", BASE).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs the bundle as the non-root user, with the recommended Node flags", async () => {
    const config = JSON.parse(await podman("image", "inspect", "--format", "{{json .Config}}", IMAGE)) as {
      User: string;
      Entrypoint: string[];
    };
    expect(config.User).toBe("65532:65532");
    expect(config.Entrypoint).toEqual([
      "node",
      "--max-old-space-size=256",
      "--max-semi-space-size=1",
      "/app/bosun.mjs",
    ]);
    const help = await podman(...RUN, IMAGE, "--help");
    expect(help).toMatch(/bosun: GitOps reconciliation/);
  });

  it("checks the engine config deploy/ ships (bosun serve --check)", async () => {
    const { stdout } = await run("kubectl", ["kustomize", join(root, "deploy")], { maxBuffer: 64 * 1024 * 1024 });
    const cm = parseAllDocuments(stdout)
      .map((d) => d.toJSON() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> })
      .find((o) => o.kind === "ConfigMap" && o.metadata?.name === "bosun-engine-config");
    await mkdir(join(dir, "etc"), { recursive: true });
    await writeFile(join(dir, "etc/engine.yaml"), cm!.data!["engine.yaml"]!, { mode: 0o644 });
    const out = await podman(
      ...RUN,
      "--read-only",
      "-v",
      `${join(dir, "etc")}:/etc/bosun:ro`,
      IMAGE,
      "serve",
      "--config",
      "/etc/bosun/engine.yaml",
      "--check",
    );
    expect(out).toContain("/etc/bosun/engine.yaml: the engine config is valid");
  });
});
