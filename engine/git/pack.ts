/**
 * Git packfiles without isomorphic-git's per-object JavaScript inflate: one pass over a received
 * pack with Node's zlib and crypto resolves every object (deltas included), computes its oid and
 * CRC, and writes the standard `.idx` (v2) next to it, so isomorphic-git reads the pack as if it
 * had indexed it itself. The resolved objects go straight into the shared object cache: a fresh
 * mirror reads a 5,000-file tree without inflating anything a second time.
 *
 * Also builds the (small, undeltified) packs Bosun pushes.
 */
import { createHash } from "node:crypto";
import { crc32, deflateSync, inflateSync } from "node:zlib";

export type ObjectType = "commit" | "tree" | "blob" | "tag";

export interface GitObject {
  readonly type: ObjectType;
  readonly bytes: Uint8Array;
}

export interface IndexedObject extends GitObject {
  readonly oid: string;
  readonly offset: number;
}

const TYPES: Record<number, ObjectType> = { 1: "commit", 2: "tree", 3: "blob", 4: "tag" };
const CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

/** The pack is malformed or truncated (a server that died mid-pack, a corrupt object). */
export class PackError extends Error {
  override readonly name = "PackError";
}

/** `sha1("<type> <len>\0" + bytes)`, the object id. */
export function objectId(type: ObjectType, bytes: Uint8Array): string {
  return createHash("sha1").update(`${type} ${bytes.byteLength}\0`).update(bytes).digest("hex");
}

export interface IndexedPack {
  readonly objects: IndexedObject[];
  readonly idx: Buffer;
  readonly packSha: string;
  /** Deltas resolved against objects outside the pack: a thin pack, not valid on disk as it is. */
  readonly thin: boolean;
}

/**
 * Resolves every object of `pack` (offsets, deltas, oids, CRCs) and returns them with the pack's
 * `.idx` file. `external` resolves a ref-delta base that is not in this pack (thin packs).
 */
export async function indexPack(
  pack: Buffer,
  external?: (oid: string) => Promise<GitObject | undefined>,
): Promise<IndexedPack> {
  if (pack.length < 32 || pack.toString("latin1", 0, 4) !== "PACK") throw new PackError("not a packfile");
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new PackError(`unsupported pack version ${version}`);
  const count = pack.readUInt32BE(8);
  const end = pack.length - 20;
  const trailer = pack.subarray(end).toString("hex");
  if (createHash("sha1").update(pack.subarray(0, end)).digest("hex") !== trailer) {
    throw new PackError("pack checksum mismatch (truncated or corrupt pack)");
  }
  const byOffset = new Map<number, GitObject>();
  const byOid = new Map<string, GitObject>();
  const objects: IndexedObject[] = [];
  const crcs: number[] = [];
  // ref-deltas whose base comes later in the pack
  const pending: { offset: number; base: string | number; delta: Uint8Array; crcIndex: number }[] = [];
  const pendingOffsets = new Set<number>();
  let pos = 12;
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw new PackError(`pack ends after ${i} of ${count} objects`);
    const start = pos;
    let byte = pack[pos++]!;
    const code = (byte >> 4) & 7;
    let size = byte & 15;
    let shift = 4;
    while (byte & 0x80) {
      byte = pack[pos++]!;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    let baseOffset: number | undefined;
    let baseOid: string | undefined;
    if (code === 6) {
      byte = pack[pos++]!;
      let rel = byte & 0x7f;
      while (byte & 0x80) {
        byte = pack[pos++]!;
        rel = (rel + 1) * 128 + (byte & 0x7f);
      }
      baseOffset = start - rel;
    } else if (code === 7) {
      baseOid = pack.toString("hex", pos, pos + 20);
      pos += 20;
    } else if (!TYPES[code]) throw new PackError(`unknown object type ${code} at offset ${start}`);
    let data: Buffer;
    let used: number;
    try {
      const r = inflateSync(pack.subarray(pos, end), { info: true }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      data = r.buffer;
      used = r.engine.bytesWritten;
    } catch (err) {
      throw new PackError(`object at offset ${start}: ${(err as Error).message}`);
    }
    if (data.length !== size) throw new PackError(`object at offset ${start}: size ${data.length}, header ${size}`);
    pos += used;
    crcs.push(crc32(pack.subarray(start, pos)));
    let obj: GitObject | undefined;
    const baseKey = baseOffset ?? baseOid;
    if (baseKey !== undefined) {
      const base = typeof baseKey === "number" ? byOffset.get(baseKey) : byOid.get(baseKey);
      if (!base) {
        // A ref-delta whose base comes later or is outside the pack, or a delta on top of one.
        if (typeof baseKey === "number" && !pendingOffsets.has(baseKey))
          throw new PackError(`ofs-delta at ${start}: no object at ${baseKey}`);
        pending.push({ offset: start, base: baseKey, delta: data, crcIndex: crcs.length - 1 });
        pendingOffsets.add(start);
        objects.push(undefined as unknown as IndexedObject); // filled below
        continue;
      }
      obj = { type: base.type, bytes: applyDelta(base.bytes, data) };
    } else {
      obj = { type: TYPES[code]!, bytes: data };
    }
    const oid = objectId(obj.type, obj.bytes);
    byOffset.set(start, obj);
    byOid.set(oid, obj);
    objects.push({ ...obj, oid, offset: start });
  }
  // Forward ref-deltas and bases outside the pack (thin): resolve until no progress.
  let thin = false;
  for (let progress = true; pending.length > 0 && progress;) {
    progress = false;
    for (let k = pending.length - 1; k >= 0; k--) {
      const p = pending[k]!;
      let base = typeof p.base === "number" ? byOffset.get(p.base) : byOid.get(p.base);
      if (!base && external && typeof p.base === "string") {
        base = await external(p.base);
        if (base) thin = true;
      }
      if (!base) continue;
      const obj = { type: base.type, bytes: applyDelta(base.bytes, p.delta) };
      const oid = objectId(obj.type, obj.bytes);
      byOffset.set(p.offset, obj);
      byOid.set(oid, obj);
      objects[p.crcIndex] = { ...obj, oid, offset: p.offset };
      pending.splice(k, 1);
      progress = true;
    }
  }
  if (pending.length > 0) throw new PackError(`${pending.length} deltas without a base (thin pack)`);
  return { objects, idx: writeIdx(objects, crcs, pack.subarray(end)), packSha: trailer, thin };
}

/** Git's delta format: base size, result size, then copy (from base) and insert instructions. */
export function applyDelta(base: Uint8Array, delta: Uint8Array): Uint8Array {
  let pos = 0;
  const varint = (): number => {
    let n = 0;
    let shift = 0;
    let b: number;
    do {
      b = delta[pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return n;
  };
  const baseSize = varint();
  if (baseSize !== base.length) throw new PackError(`delta base size ${baseSize}, base is ${base.length}`);
  const size = varint();
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  while (pos < delta.length) {
    const op = delta[pos++]!;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      if (op & 1) off |= delta[pos++]!;
      if (op & 2) off |= delta[pos++]! << 8;
      if (op & 4) off |= delta[pos++]! << 16;
      if (op & 8) off = (off | (delta[pos++]! << 24)) >>> 0;
      if (op & 16) len |= delta[pos++]!;
      if (op & 32) len |= delta[pos++]! << 8;
      if (op & 64) len |= delta[pos++]! << 16;
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > size) throw new PackError("delta copy out of range");
      out.set(base.subarray(off, off + len), o);
      o += len;
    } else if (op > 0) {
      if (o + op > size || pos + op > delta.length) throw new PackError("delta insert out of range");
      out.set(delta.subarray(pos, pos + op), o);
      o += op;
      pos += op;
    } else throw new PackError("delta opcode 0");
  }
  if (o !== size) throw new PackError(`delta produced ${o} bytes, expected ${size}`);
  return out;
}

function writeIdx(objects: readonly IndexedObject[], crcs: readonly number[], packTrailer: Buffer): Buffer {
  const order = objects.map((o, i) => ({ oid: o.oid, offset: o.offset, crc: crcs[i]! }));
  order.sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = order.length;
  const large = order.filter((o) => o.offset >= 0x80000000);
  const buf = Buffer.alloc(8 + 256 * 4 + n * 28 + large.length * 8 + 40);
  buf.writeUInt32BE(0xff744f63, 0);
  buf.writeUInt32BE(2, 4);
  let p = 8;
  let k = 0;
  for (let b = 0; b < 256; b++) {
    while (k < n && Number.parseInt(order[k]!.oid.slice(0, 2), 16) <= b) k++;
    buf.writeUInt32BE(k, p);
    p += 4;
  }
  for (const o of order) {
    buf.write(o.oid, p, "hex");
    p += 20;
  }
  for (const o of order) {
    buf.writeUInt32BE(o.crc >>> 0, p);
    p += 4;
  }
  let li = 0;
  for (const o of order) {
    buf.writeUInt32BE(o.offset >= 0x80000000 ? (0x80000000 | li++) >>> 0 : o.offset, p);
    p += 4;
  }
  for (const o of large) {
    buf.writeBigUInt64BE(BigInt(o.offset), p);
    p += 8;
  }
  packTrailer.copy(buf, p);
  p += 20;
  createHash("sha1").update(buf.subarray(0, p)).digest().copy(buf, p);
  return buf;
}

/** An undeltified pack of `objects` (what Bosun pushes: only the objects a status commit added). */
export function buildPack(objects: readonly GitObject[]): Buffer {
  return buildIndexedPack(objects, false).pack;
}

/** buildPack plus its `.idx` (offsets and CRCs known while writing: nothing is inflated again). */
export function buildIndexedPack(
  objects: readonly GitObject[],
  withIdx = true,
): { pack: Buffer; idx: Buffer; packSha: string } {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.write("PACK", 0, "latin1");
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(objects.length, 8);
  parts.push(head);
  const indexed: IndexedObject[] = [];
  const crcs: number[] = [];
  let offset = 12;
  for (const o of objects) {
    let size = o.bytes.byteLength;
    const h: number[] = [];
    let byte = (CODES[o.type] << 4) | (size & 15);
    size = Math.floor(size / 16);
    while (size > 0) {
      h.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    h.push(byte);
    const header = Buffer.from(h);
    const data = deflateSync(o.bytes, { level: 1 });
    parts.push(header, data);
    if (withIdx) {
      indexed.push({ ...o, oid: objectId(o.type, o.bytes), offset });
      crcs.push(crc32(data, crc32(header)));
    }
    offset += header.length + data.length;
  }
  const body = Buffer.concat(parts);
  const trailer = createHash("sha1").update(body).digest();
  return {
    pack: Buffer.concat([body, trailer]),
    idx: withIdx ? writeIdx(indexed, crcs, trailer) : Buffer.alloc(0),
    packSha: trailer.toString("hex"),
  };
}

export interface TreeEntryRaw {
  readonly mode: string;
  readonly path: string;
  readonly oid: string;
}

/** Parses a tree object's bytes. */
export function parseTree(bytes: Uint8Array): TreeEntryRaw[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: TreeEntryRaw[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const sp = buf.indexOf(0x20, pos);
    const nul = buf.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > buf.length) throw new PackError("malformed tree");
    const mode = buf.toString("latin1", pos, sp);
    out.push({
      mode: mode.length === 5 ? `0${mode}` : mode,
      path: buf.toString("utf8", sp + 1, nul),
      oid: buf.toString("hex", nul + 1, nul + 21),
    });
    pos = nul + 21;
  }
  return out;
}

/** Serializes tree entries in git's order (directories sort as if they ended in `/`). */
export function serializeTree(entries: readonly TreeEntryRaw[]): Buffer {
  const key = (e: TreeEntryRaw): string => (e.mode === "040000" ? `${e.path}/` : e.path);
  const sorted = [...entries].sort((a, b) => {
    const ka = Buffer.from(key(a));
    const kb = Buffer.from(key(b));
    return Buffer.compare(ka, kb);
  });
  const parts: Buffer[] = [];
  for (const e of sorted) {
    const mode = e.mode === "040000" ? "40000" : e.mode;
    parts.push(Buffer.from(`${mode} ${e.path}\0`), Buffer.from(e.oid, "hex"));
  }
  return Buffer.concat(parts);
}

/** The fields of a commit object Bosun needs. */
export function parseCommit(bytes: Uint8Array): {
  tree: string;
  parents: string[];
  author: string;
  committer: string;
  message: string;
} {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  const split = text.indexOf("\n\n");
  const head = split < 0 ? text : text.slice(0, split);
  let tree = "";
  const parents: string[] = [];
  let author = "";
  let committer = "";
  for (const line of head.split("\n")) {
    if (line.startsWith("tree ")) tree = line.slice(5);
    else if (line.startsWith("parent ")) parents.push(line.slice(7));
    else if (line.startsWith("author ")) author = line.slice(7);
    else if (line.startsWith("committer ")) committer = line.slice(10);
  }
  return { tree, parents, author, committer, message: split < 0 ? "" : text.slice(split + 2) };
}
