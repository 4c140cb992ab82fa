import { compileGlob, type Glob } from '../glob.js';

/** Compiles a repository glob: `*` matches within one path segment, `**` across segments, `?` one character. */
export function repositoryGlob(glob: string): Glob {
  return compileGlob(glob, { paths: true });
}

/** True when the repository is included (no include patterns = all) and not excluded. */
export function repositoryWanted(repository: string, include: readonly string[], exclude: readonly string[]): boolean {
  if (include.length > 0 && !include.some((g) => repositoryGlob(g).matches(repository))) return false;
  return !exclude.some((g) => repositoryGlob(g).matches(repository));
}
