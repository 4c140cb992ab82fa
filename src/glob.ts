/**
 * Glob matching without regular expressions. A glob compiled to a regex with several `.*`
 * backtracks exponentially on a near miss (13 stars took a minute per match), and patterns
 * arrive from API callers. Here a pattern is a list of tokens run as a set of states over
 * the text (a Thompson NFA): time is at most text length × pattern length, whatever the
 * pattern, and nothing recurses.
 */

/** Longest glob pattern the API accepts (event types, repository patterns). */
export const MAX_GLOB_LENGTH = 256;

/** One step of a pattern. */
type Token =
  | { kind: 'char'; char: string }
  /** `?`: one character other than `/`. */
  | { kind: 'one' }
  /** A star: any run of characters, or (when `slash` is false) any run without `/`. */
  | { kind: 'star'; slash: boolean };

/** A compiled glob. */
export interface Glob {
  /** True when the whole of `text` matches the pattern. */
  matches(text: string): boolean;
}

/** How a pattern's wildcards read. */
export interface GlobSyntax {
  /**
   * Path globs: `*` stays within one `/`-separated segment, `**` crosses segments and `?`
   * is one character other than `/`. Otherwise `*` is any run of characters and `?` is
   * literal (event types).
   */
  paths: boolean;
}

function tokenize(pattern: string, syntax: GlobSyntax): Token[] {
  const tokens: Token[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') {
      const slash = !syntax.paths || chars[i + 1] === '*';
      if (syntax.paths && slash) i++;
      const prev = tokens[tokens.length - 1];
      // Adjacent stars add no states: `***` is `**` (any run), `*` next to `**` too.
      if (prev?.kind === 'star') prev.slash ||= slash;
      else tokens.push({ kind: 'star', slash });
    } else if (c === '?' && syntax.paths) {
      tokens.push({ kind: 'one' });
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return tokens;
}

/** Compiles a pattern (any length; callers taking patterns from outside cap it at {@link MAX_GLOB_LENGTH}). */
export function compileGlob(pattern: string, syntax: GlobSyntax): Glob {
  const tokens = tokenize(pattern, syntax);
  const accept = tokens.length;
  // A star may match nothing: being before it means being after it too.
  const close = (states: Uint8Array): void => {
    for (let i = 0; i < accept; i++) if (states[i] && tokens[i].kind === 'star') states[i + 1] = 1;
  };
  return {
    matches(text: string): boolean {
      let current = new Uint8Array(accept + 1);
      let next = new Uint8Array(accept + 1);
      current[0] = 1;
      close(current);
      for (const c of text) {
        next.fill(0);
        let alive = false;
        for (let i = 0; i < accept; i++) {
          if (!current[i]) continue;
          const t = tokens[i];
          if (t.kind === 'star') {
            if (t.slash || c !== '/') next[i] = 1;
          } else if (t.kind === 'one' ? c !== '/' : t.char === c) {
            next[i + 1] = 1;
          } else {
            continue;
          }
          alive = true;
        }
        if (!alive) return false;
        close(next);
        [current, next] = [next, current];
      }
      return current[accept] === 1;
    },
  };
}
