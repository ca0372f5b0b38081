/**
 * clients/libvirt against the host's real libvirtd (lab/libvirt scripts): typed errors by kind, a domain's life
 * (define → list with disks and metadata → start → destroy → undefine), abort. No kube-apiserver needed.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQcow2, diskImageInfo, isLibvirtError, LibvirtClient, LibvirtError, writeConfigDrive } from "./index.ts";

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../..");
let dir: string;
let client: LibvirtClient;
const name = `bosun-client-test-${process.pid}`;

beforeAll(async () => {
  await run("bash", [join(REPO, "lab/libvirt/install.sh")]);
  const { stdout } = await run("bash", [join(REPO, "lab/libvirt/start.sh")]);
  client = new LibvirtClient({ uri: /^URI=(.*)$/m.exec(stdout)?.[1] as string });
  dir = await mkdtemp("/tmp/bosun-libvirt-client-");
  await chmod(dir, 0o755);
}, 600_000);

afterAll(async () => {
  await client?.removeDomain(name).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<LibvirtError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LibvirtError)) throw new Error(`expected a LibvirtError, got ${String(err)}`);
  return err;
}

describe("clients/libvirt", () => {
  it("libvirt unreachable (a dead socket) is `unavailable`, naming the URI", async () => {
    const uri = `qemu+unix:///system?socket=${dir}/no-such-sock`;
    const err = await failure(new LibvirtClient({ uri }).listDomains());
    expect(err).toMatchObject({ kind: "unavailable", code: "LIBVIRT_UNAVAILABLE" });
    expect(err.message.startsWith(`libvirt ${uri}: virsh -c ${uri} -q list --all: `)).toBe(true);
    expect(err.message).toContain(`Failed to connect socket to '${dir}/no-such-sock'`);
  });

  it("a missing domain: getDomain says undefined, start is `not-found`; a missing tool is `tool-missing`", async () => {
    expect(await client.getDomain("bosun-no-such-domain")).toBeUndefined();
    expect(await failure(client.startDomain("bosun-no-such-domain"))).toMatchObject({ kind: "not-found" });
    const err = await failure(new LibvirtClient({ virsh: "/nonexistent/virsh" }).ping());
    expect(err).toMatchObject({ kind: "tool-missing" });
    expect(err.message).toContain("run lab/libvirt/install.sh");
  });

  it("a disk that cannot be made is `disk`, naming the path; an aborted call is `aborted`", async () => {
    // Its folder is a plain file.
    await writeFile(join(dir, "plain"), "");
    const path = join(dir, "plain", "root.qcow2");
    const err = await failure(createQcow2(path, 2 ** 20));
    expect(err).toMatchObject({ kind: "disk", subject: `disk ${path}` });
    expect(err.message).toContain("Not a directory");
    const ac = new AbortController();
    ac.abort();
    expect(await failure(client.listDomains(ac.signal))).toMatchObject({ kind: "aborted" });
  });

  it("a domain's life: define → listed with disks and metadata → start → destroy → undefine", async () => {
    await createQcow2(join(dir, "root.qcow2"), 64 * 2 ** 20);
    expect(await diskImageInfo(join(dir, "root.qcow2"))).toMatchObject({ format: "qcow2", virtualSize: 64 * 2 ** 20 });
    await writeConfigDrive(join(dir, "cidata.iso"), { userData: "#cloud-config\n", metaData: "local-hostname: t\n" });
    const uuid = await client.defineDomain({
      name,
      type: "qemu",
      vcpus: 1,
      memoryMiB: 96,
      disks: [{ path: join(dir, "root.qcow2"), target: "vda", format: "qcow2" }],
      configDrive: join(dir, "cidata.iso"),
      metadata: { namespace: "ns", name: "m", uid: "u" },
    });
    const listed = (await client.listDomains()).find((d) => d.name === name);
    expect(listed).toMatchObject({
      uuid,
      state: "shut off",
      type: "qemu",
      metadata: { namespace: "ns", name: "m", uid: "u" },
    });
    expect(listed?.disks.map((d) => d.target)).toEqual(["vda", "hdc"]);
    expect(await client.domainNameByUuid(uuid)).toBe(name);
    // Redefining under the same name needs the UUID: without it libvirt refuses.
    const refused = await failure(client.defineDomain({ name, type: "qemu", vcpus: 1, memoryMiB: 96, disks: [] }));
    expect(refused.kind).toBe("refused");
    expect(refused.message).toMatch(/already exists/);
    await client.startDomain(name);
    expect((await client.getDomain(name))?.state).toBe("running");
    await client.removeDomain(name);
    expect(await client.getDomain(name)).toBeUndefined();
    expect(isLibvirtError(await failure(client.undefineDomain(name)), "not-found")).toBe(true);
  });
});
