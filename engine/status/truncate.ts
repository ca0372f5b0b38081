/** Size caps for status files. Pure. */

const encoder = new TextEncoder();

/**
 * Returns `text` unchanged when it fits in `maxBytes` (UTF-8), else cut at the last line break
 * that leaves room for a marker line: `<comment> truncated by bosun: N of M bytes omitted`.
 */
export function capText(text: string, maxBytes: number, comment = "#"): string {
  const total = encoder.encode(text).length;
  if (total <= maxBytes) return text;
  const marker = (omitted: number): string => `${comment} truncated by bosun: ${omitted} of ${total} bytes omitted\n`;
  const room = Math.max(0, maxBytes - encoder.encode(marker(total)).length);
  const bytes = encoder.encode(text).subarray(0, room);
  let kept = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (kept.endsWith("\uFFFD")) kept = kept.slice(0, -1);
  const nl = kept.lastIndexOf("\n");
  kept = nl >= 0 ? kept.slice(0, nl + 1) : "";
  return kept + marker(total - encoder.encode(kept).length);
}
