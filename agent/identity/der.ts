/** Just enough DER (ASN.1) to build and read a PKCS#10 certificate request. */

export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

export const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
export const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));
export const int0 = (): Buffer => tlv(0x02, Buffer.from([0]));
export const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

export function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

export interface Node {
  tag: number;
  start: number;
  headerLen: number;
  len: number;
  content: Buffer;
  raw: Buffer;
}

export function read(buf: Buffer, at = 0): Node {
  const tag = buf[at] ?? 0;
  let len = buf[at + 1] ?? 0;
  let headerLen = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[at + 2 + i] ?? 0);
    headerLen += n;
  }
  const content = buf.subarray(at + headerLen, at + headerLen + len);
  return { tag, start: at, headerLen, len, content, raw: buf.subarray(at, at + headerLen + len) };
}

export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (let at = 0; at < node.content.length;) {
    const c = read(node.content, at);
    out.push(c);
    at += c.headerLen + c.len;
  }
  return out;
}

export function oidString(content: Buffer): string {
  const first = content[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (const b of content.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}
