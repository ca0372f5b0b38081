/**
 * A minimal proto3 wire codec: varints, length-delimited fields, nested messages and maps. Enough
 * for the Flintlock messages Bosun uses (messages.ts); no reflection, no generated code.
 */

const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Length = 2,
  Fixed32 = 5,
}

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v > 0x7fn) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: WireType): void {
    this.varint((field << 3) | wire);
  }

  /** int32, int64, bool and enums; skipped when undefined. */
  int(field: number, value: number | boolean | undefined): this {
    if (value === undefined) return this;
    this.tag(field, WireType.Varint);
    this.varint(typeof value === "boolean" ? (value ? 1 : 0) : value);
    return this;
  }

  /** A proto3 scalar without presence: skipped when it holds its default (0, false). */
  intDefault(field: number, value: number | boolean | undefined): this {
    return value ? this.int(field, value) : this;
  }

  bytes(field: number, value: Uint8Array | undefined): this {
    if (value === undefined) return this;
    this.tag(field, WireType.Length);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  /** An `optional string` (explicit presence): written when defined, also when empty. */
  string(field: number, value: string | undefined): this {
    return value === undefined ? this : this.bytes(field, Buffer.from(value, "utf8"));
  }

  /** A proto3 string without presence: skipped when empty. */
  stringDefault(field: number, value: string | undefined): this {
    return value ? this.string(field, value) : this;
  }

  message<T>(field: number, value: T | undefined, encode: (w: ProtoWriter, v: T) => void): this {
    if (value === undefined) return this;
    const inner = new ProtoWriter();
    encode(inner, value);
    return this.bytes(field, inner.finish());
  }

  repeated<T>(field: number, values: readonly T[] | undefined, encode: (w: ProtoWriter, v: T) => void): this {
    for (const v of values ?? []) this.message(field, v, encode);
    return this;
  }

  repeatedString(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) this.string(field, v);
    return this;
  }

  /** A `map<string, V>`: one entry message (key = 1, value = 2) per key, in key order. */
  map<V>(
    field: number,
    map: Readonly<Record<string, V>> | undefined,
    encodeValue: (w: ProtoWriter, field: number, v: V) => void,
  ): this {
    for (const key of Object.keys(map ?? {}).sort()) {
      const value = (map as Record<string, V>)[key] as V;
      const entry = new ProtoWriter().string(1, key);
      encodeValue(entry, 2, value);
      this.bytes(field, entry.finish());
    }
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** A malformed message: truncated, a bad wire type, or a varint too long. */
export class ProtoDecodeError extends Error {
  override readonly name = "ProtoDecodeError";
}

export interface ProtoField {
  readonly field: number;
  readonly wire: number;
  /** Varint value (wire type 0). */
  readonly int: bigint;
  /** Payload of a length-delimited field (wire type 2). */
  readonly bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Reads every field of one message, in order; unknown fields are returned too (callers skip them). */
export function readFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (at >= buf.length) throw new ProtoDecodeError("truncated varint");
      const b = buf[at++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new ProtoDecodeError("varint longer than 10 bytes");
  };
  while (at < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 0) throw new ProtoDecodeError("field number 0");
    switch (wire) {
      case WireType.Varint:
        out.push({ field, wire, int: varint(), bytes: EMPTY });
        break;
      case WireType.Length: {
        const len = Number(varint());
        if (at + len > buf.length) throw new ProtoDecodeError(`field ${field}: truncated (${len} bytes announced)`);
        out.push({ field, wire, int: 0n, bytes: buf.subarray(at, at + len) });
        at += len;
        break;
      }
      case WireType.Fixed64:
      case WireType.Fixed32: {
        const len = wire === WireType.Fixed64 ? 8 : 4;
        if (at + len > buf.length) throw new ProtoDecodeError(`field ${field}: truncated fixed`);
        out.push({ field, wire, int: 0n, bytes: buf.subarray(at, at + len) });
        at += len;
        break;
      }
      default:
        throw new ProtoDecodeError(`field ${field}: unsupported wire type ${wire}`);
    }
  }
  return out;
}

export const asString = (f: ProtoField): string => Buffer.from(f.bytes).toString("utf8");
/** int32 / enum (negative values come as 64-bit two's complement). */
export const asInt32 = (f: ProtoField): number => Number(BigInt.asIntN(32, f.int));
export const asInt64 = (f: ProtoField): number => Number(BigInt.asIntN(64, f.int));
export const asBool = (f: ProtoField): boolean => f.int !== 0n;

/** Decodes one `map<string, V>` entry into `into`. */
export function readMapEntry<V>(f: ProtoField, into: Record<string, V>, value: (f: ProtoField) => V, empty: V): void {
  let key = "";
  let v = empty;
  for (const e of readFields(f.bytes)) {
    if (e.field === 1) key = asString(e);
    else if (e.field === 2) v = value(e);
  }
  into[key] = v;
}
