import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runTool } from "./exec.ts";

/** The NoCloud data source's files (cloud-init reads them from a volume labelled `cidata`). */
export interface NoCloudData {
  readonly userData: string;
  readonly metaData: string;
  readonly vendorData?: string;
  readonly networkConfig?: string;
}

/**
 * Writes a NoCloud config drive (ISO 9660, volume id `cidata`, Joliet + Rock Ridge) with `genisoimage`, atomically:
 * built next to `isoPath` and renamed over it, so a crash never leaves half an ISO. The data files live only in a
 * temporary folder removed afterwards (the bootstrap data can hold secrets).
 */
export async function writeConfigDrive(
  isoPath: string,
  data: NoCloudData,
  opts: { readonly genisoimage?: string; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const dir = await mkdtemp(join(dirname(isoPath), ".cidata-"));
  try {
    const files: [string, string][] = [
      ["user-data", data.userData],
      ["meta-data", data.metaData],
      ...(data.vendorData !== undefined ? ([["vendor-data", data.vendorData]] as [string, string][]) : []),
      ...(data.networkConfig !== undefined ? ([["network-config", data.networkConfig]] as [string, string][]) : []),
    ];
    for (const [name, content] of files) await writeFile(join(dir, name), content, { mode: 0o600 });
    const tmp = join(dir, "cidata.iso");
    await runTool(
      opts.genisoimage ?? "genisoimage",
      ["-quiet", "-output", tmp, "-volid", "cidata", "-joliet", "-rock", ...files.map(([n]) => join(dir, n))],
      {
        subject: `config drive ${isoPath}`,
        failureKind: "config-drive",
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    );
    await rename(tmp, isoPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
