import type { ZodError } from 'zod';
import type { FieldError } from './problem.js';

/** Converts zod issues to problem field errors, paths as JSON pointers under `prefix`. */
export function fieldErrors(err: ZodError, prefix = ''): FieldError[] {
  return err.issues.map((i) => ({ pointer: `${prefix}/${i.path.map(String).join('/')}`.replace(/\/$/, '') || '/', detail: i.message }));
}
