/**
 * A bound on how deeply a JSON request body nests: a 200,000-deep array parses, but every
 * recursive walk after it (validation, serialisation, storage) overflows the stack.
 */

/** Deepest nesting of arrays and objects a request body may have (real SBOMs stay far below). */
export const MAX_JSON_DEPTH = 100;

/** True when JSON text nests arrays and objects deeper than `limit`; brackets inside strings do not count. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
