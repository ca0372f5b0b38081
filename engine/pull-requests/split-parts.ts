/**
 * Packs comment sections into parts that each fit the forge's limits (characters and UTF-8 bytes,
 * both counted: GitHub measures either). A section that spills over repeats its heading lines in
 * the next part, so a table or list never loses its header; no line is ever cut. Pure.
 */

export interface Budget {
  /** Most characters (UTF-16 code units, as GitHub counts) one comment may have. */
  readonly chars: number;
  readonly bytes: number;
}

/** GitHub: 65,536 characters a comment, and 262,144 bytes; a margin for the marker and part header. */
export const GITHUB_BUDGET: Budget = { chars: 65_536, bytes: 262_144 };

export interface Section {
  /** Repeated at the top of every part the section continues in (e.g. a table header). */
  readonly heading: readonly string[];
  readonly lines: readonly string[];
}

const encoder = new TextEncoder();

function size(text: string): { chars: number; bytes: number } {
  return { chars: text.length, bytes: encoder.encode(text).length };
}

/**
 * Splits sections into parts of at most `budget` (minus `reserve` for what the caller adds to each
 * part). Each part is a list of lines. A single line longer than a part is shortened with "…".
 */
export function packSections(sections: readonly Section[], budget: Budget, reserve: number): string[][] {
  const maxChars = budget.chars - reserve;
  const maxBytes = budget.bytes - reserve * 4;
  const parts: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  let bytes = 0;
  const push = (line: string): boolean => {
    const s = size(line);
    if (chars + s.chars + 1 > maxChars || bytes + s.bytes + 1 > maxBytes) return false;
    current.push(line);
    chars += s.chars + 1;
    bytes += s.bytes + 1;
    return true;
  };
  const flush = (): void => {
    if (current.length > 0) parts.push(current);
    current = [];
    chars = 0;
    bytes = 0;
  };
  const fit = (line: string): string => {
    const room = Math.floor(Math.min(maxChars, maxBytes / 4) / 2);
    return line.length > room ? `${line.slice(0, room)}…` : line;
  };
  for (const section of sections) {
    const heading = section.heading.map(fit);
    const needed = heading.reduce((n, l) => n + l.length + 1, 0);
    if (chars + needed + (section.lines[0]?.length ?? 0) + 2 > maxChars) flush();
    for (const l of heading) push(l);
    for (const raw of section.lines) {
      const line = fit(raw);
      if (push(line)) continue;
      flush();
      for (const l of heading) push(l);
      push(line);
    }
    push("");
  }
  flush();
  return parts;
}
