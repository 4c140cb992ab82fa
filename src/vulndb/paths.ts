/** Where the advisory database lives when no `--vulndb` is given. */
import { homedir, platform } from 'node:os';
import { join } from 'node:path';

/**
 * `VIGIL_VULNDB`, else `vulndb.sqlite` in the user's cache directory:
 * `$XDG_CACHE_HOME/vigil` (default `~/.cache/vigil`) on Linux, `~/Library/Caches/vigil` on
 * macOS, `%LOCALAPPDATA%\vigil` on Windows.
 */
export function defaultVulnDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIGIL_VULNDB) return env.VIGIL_VULNDB;
  return join(cacheDir(env), 'vigil', 'vulndb.sqlite');
}

function cacheDir(env: NodeJS.ProcessEnv): string {
  if (env.XDG_CACHE_HOME) return env.XDG_CACHE_HOME;
  const os = platform();
  if (os === 'darwin') return join(homedir(), 'Library', 'Caches');
  if (os === 'win32') return env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local');
  return join(homedir(), '.cache');
}
