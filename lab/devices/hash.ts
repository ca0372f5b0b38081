/**
 * Deterministic hashing (pure): every random-looking choice of the simulator (which devices fail,
 * which are unreachable, delays, pids, serial numbers) is a hash of the seed and a few parts, so a
 * run is reproducible from its seed and independent of event order.
 */

/** FNV-1a over the UTF-16 code units, then a murmur3 finalizer: a well-mixed unsigned 32-bit value. */
export function hash32(seed: string | number, ...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const feed = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f; // separator, so ("ab","c") ≠ ("a","bc")
    h = Math.imul(h, 0x01000193);
  };
  feed(String(seed));
  for (const p of parts) feed(String(p));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic number in [0, 1). */
export function unit(seed: string | number, ...parts: readonly (string | number)[]): number {
  return hash32(seed, ...parts) / 0x1_0000_0000;
}

/** A deterministic hex string of `len` characters. */
export function hex(len: number, seed: string | number, ...parts: readonly (string | number)[]): string {
  let out = "";
  for (let i = 0; out.length < len; i++)
    out += hash32(seed, ...parts, i)
      .toString(16)
      .padStart(8, "0");
  return out.slice(0, len);
}
