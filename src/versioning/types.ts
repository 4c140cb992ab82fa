import type { SchemeId } from '../ecosystems.js';

/** Thrown when a version string is not valid in a scheme; names the input and the scheme. */
export class InvalidVersionError extends Error {
  constructor(
    readonly scheme: SchemeId,
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid ${scheme} version "${input}": ${reason}`);
    this.name = 'InvalidVersionError';
  }
}

/**
 * How one ecosystem orders versions. Implementations cache parsed versions, so `compare`
 * on strings is cheap when the same versions recur (they do: advisories repeat bounds).
 */
export interface VersionScheme {
  readonly id: SchemeId;
  /** Throws {@link InvalidVersionError} naming the input when `version` is not valid here. */
  parse(version: string): unknown;
  /** True when {@link parse} would succeed. */
  isValid(version: string): boolean;
  /** Total order: negative, zero or positive. Throws {@link InvalidVersionError} on invalid input. */
  compare(a: string, b: string): number;
}
