/**
 * How deep a JSON document read from a target may nest. Schemas of recursive formats
 * (CycloneDX components, package-lock v1 dependencies) validate by recursion, so a document
 * nested tens of thousands deep overflows the stack; real ones nest a few dozen levels.
 */

/** Deepest nesting of arrays and objects accepted in a JSON document from a target. */
export const MAX_JSON_DEPTH = 256;

/** True when `value` nests arrays and objects more than `limit` levels deep (checked without recursion). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: { value: object; depth: number }[] = [];
  if (value !== null && typeof value === 'object') pending.push({ value, depth: 1 });
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.depth > limit) return true;
    for (const child of Array.isArray(next.value) ? next.value : Object.values(next.value)) {
      if (child !== null && typeof child === 'object') pending.push({ value: child as object, depth: next.depth + 1 });
    }
  }
  return false;
}
