/** `"30%"` → 0.3. */
export function percent(value: string): number {
  return Number(value.replace("%", "")) / 100;
}
