/**
 * What the agent remembers per DeviceProcess across its own restarts (state dir, one JSON file
 * each, written atomically): which launch runs, through which backend, and the restart counters.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BackendName } from "../model.ts";
import type { Launch } from "./launch.ts";

export interface ProcessRecord {
  namespace: string;
  name: string;
  backend: BackendName;
  specHash: string;
  launch: Launch;
  restartCount: number;
  lastTerminationReason: string;
  /** Set when the process ended and restartPolicy does not start it again (survives agent restarts). */
  finished?: { succeeded: boolean };
}

export class RecordStore {
  private readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, "processes");
  }

  private path(unitName: string): string {
    return join(this.dir, `${unitName}.json`);
  }

  async save(r: ProcessRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const p = this.path(r.launch.unitName);
    await writeFile(`${p}.tmp`, JSON.stringify(r), { mode: 0o600 });
    await rename(`${p}.tmp`, p);
  }

  async delete(unitName: string): Promise<void> {
    await rm(this.path(unitName), { force: true });
  }

  async all(): Promise<ProcessRecord[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: ProcessRecord[] = [];
    for (const f of files.filter((f) => f.endsWith(".json"))) {
      try {
        out.push(JSON.parse(await readFile(join(this.dir, f), "utf8")) as ProcessRecord);
      } catch {
        /* a torn file is ignored; the watch re-creates the process */
      }
    }
    return out;
  }
}
