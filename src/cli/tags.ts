import { CliError } from './errors.js';

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--tag key=value`, repeatable, as a resource's key/value tags. */
export function parseTags(values: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`--tag "${v}": expected key=value`);
    tags[v.slice(0, eq).trim()] = v.slice(eq + 1).trim();
  }
  return tags;
}
