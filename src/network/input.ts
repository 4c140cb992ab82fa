/**
 * Reading topology input files: one error type whose message names the file and the field,
 * so a bad snapshot says where it is bad.
 */
import type { z } from 'zod';

/** A topology input that cannot be read; the message names the file (and field, when known). */
export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

/** `Reservations[0].Instances[2].State`: a zod issue path as written in the input. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/** Validates `data` read from `file`, or throws a TopologyError naming the file and each bad field. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, file: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((i) => `${fieldPath(i.path) || '(top level)'}: ${i.message}`);
  const more = result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : '';
  throw new TopologyError(`${file}: ${problems.join('; ')}${more}`);
}

/** Runs `fn` (a parse of one field's value), turning its error into one naming the file and field. */
export function at<T>(file: string, field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new TopologyError(`${file}: ${field}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
