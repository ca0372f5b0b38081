/**
 * The one object cache of a mirror, shared by the fetch (which fills it straight from the pack it
 * just indexed), the fleet reader and the status writer: resolved objects by oid (bounded by
 * bytes, least recently used dropped first) and parsed trees. Misses fall back to isomorphic-git
 * reading the mirror (its own packs and loose objects). Writes are loose objects, as isomorphic-git
 * writes them, plus the cache entry, so a status commit never re-reads what it just wrote.
 */
import * as fs from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { deflateSync } from "node:zlib";
import git from "isomorphic-git";
import { buildIndexedPack, objectId, parseTree, type GitObject, type ObjectType, type TreeEntryRaw } from "./pack.ts";

/** A batch of at least this many new objects is written as one pack instead of loose objects. */
const PACK_THRESHOLD = 64;

export interface ObjectStoreOptions {
  /** Bytes of object content kept in memory (default 64 MiB). */
  readonly maxBytes?: number;
}

export class ObjectStore {
  private readonly objects = new Map<string, GitObject>();
  private readonly trees = new Map<string, readonly TreeEntryRaw[]>();
  private bytes = 0;
  private readonly maxBytes: number;
  /** Objects written since beginBatch(), not on disk yet. */
  private batch: Map<string, GitObject> | undefined;
  /** Reads served from memory / from the mirror on disk (tests and benches). */
  readonly stats = { hits: 0, misses: 0, written: 0 };

  constructor(
    readonly gitdir: string,
    readonly cache: object,
    options: ObjectStoreOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 64 * 2 ** 20;
  }

  /** Remembers an object (content already known, e.g. from a pack). */
  put(oid: string, obj: GitObject): void {
    if (this.objects.has(oid)) return;
    const size = obj.bytes.byteLength;
    if (size > this.maxBytes / 8) return;
    this.objects.set(oid, obj);
    this.bytes += size;
    if (this.bytes > this.maxBytes) {
      for (const [k, v] of this.objects) {
        if (this.bytes <= this.maxBytes * 0.75) break;
        this.objects.delete(k);
        this.trees.delete(k);
        this.bytes -= v.bytes.byteLength;
      }
    }
  }

  /** In memory only. */
  peek(oid: string): GitObject | undefined {
    const o = this.objects.get(oid);
    if (o) {
      // refresh recency
      this.objects.delete(oid);
      this.objects.set(oid, o);
    }
    return o;
  }

  async read(oid: string): Promise<GitObject> {
    const hit = this.peek(oid) ?? this.batch?.get(oid);
    if (hit) {
      this.stats.hits++;
      return hit;
    }
    this.stats.misses++;
    const { type, object } = await git.readObject({
      fs,
      gitdir: this.gitdir,
      oid,
      cache: this.cache,
      format: "content",
    });
    const obj = { type: type as ObjectType, bytes: object as Uint8Array };
    this.put(oid, obj);
    return obj;
  }

  async has(oid: string): Promise<boolean> {
    if (this.objects.has(oid)) return true;
    try {
      await this.read(oid);
      return true;
    } catch {
      return false;
    }
  }

  /** Parsed tree entries (parsed once per oid). */
  async tree(oid: string): Promise<readonly TreeEntryRaw[]> {
    const cached = this.trees.get(oid);
    if (cached && this.objects.has(oid)) return cached;
    const obj = await this.read(oid);
    if (obj.type !== "tree") throw new Error(`object ${oid} is a ${obj.type}, not a tree`);
    const entries = parseTree(obj.bytes);
    this.trees.set(oid, entries);
    return entries;
  }

  /**
   * Collects the objects written until endBatch() and writes them then: one pack when there are many (the first
   * status write of a big fleet), loose objects otherwise.
   */
  beginBatch(): void {
    this.batch ??= new Map();
  }

  async endBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = undefined;
    if (!batch || batch.size === 0) return;
    if (batch.size < PACK_THRESHOLD) {
      for (const [oid, o] of batch) await this.writeLoose(oid, o.type, o.bytes);
      return;
    }
    const { pack, idx, packSha } = buildIndexedPack([...batch.values()]);
    const base = `${this.gitdir}/objects/pack/pack-${packSha}`;
    await mkdir(`${this.gitdir}/objects/pack`, { recursive: true });
    await writeFile(`${base}.pack`, pack);
    await writeFile(`${base}.idx`, idx);
    this.stats.written += batch.size;
  }

  /** Writes an object (loose, or into the open batch; skipped when already cached) and returns its oid. */
  async write(type: ObjectType, bytes: Uint8Array): Promise<string> {
    const oid = objectId(type, bytes);
    if (this.objects.has(oid) || this.batch?.has(oid)) return oid;
    if (this.batch) {
      this.batch.set(oid, { type, bytes });
      this.put(oid, { type, bytes });
      return oid;
    }
    await this.writeLoose(oid, type, bytes);
    this.put(oid, { type, bytes });
    return oid;
  }

  private async writeLoose(oid: string, type: ObjectType, bytes: Uint8Array): Promise<void> {
    const dir = `${this.gitdir}/objects/${oid.slice(0, 2)}`;
    const path = `${dir}/${oid.slice(2)}`;
    if (!fs.existsSync(path)) {
      await mkdir(dir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, deflateSync(Buffer.concat([Buffer.from(`${type} ${bytes.byteLength}\0`), bytes])));
      await rename(tmp, path);
      this.stats.written++;
    }
  }
}

const stores = new WeakMap<object, ObjectStore>();

/** The store of a mirror's isomorphic-git `cache` object (created on first use). */
export function objectStoreFor(gitdir: string, cache: object): ObjectStore {
  let s = stores.get(cache);
  if (!s || s.gitdir !== gitdir) {
    s = new ObjectStore(gitdir, cache);
    stores.set(cache, s);
  }
  return s;
}
