/**
 * Path handling for names read from archives and layers. Names are untrusted: they may be
 * absolute, climb with `..`, or not be UTF-8. Everything the walker keeps is a clean,
 * `/`-rooted path inside the target; nothing here touches the disk.
 */

/** A tar entry name turned into a target path, or why it was refused. */
export type CleanPath = { ok: true; path: string; escaped: boolean } | { ok: false; reason: string };

/**
 * Normalises an archive member name to a `/`-rooted path. `..` components are resolved
 * lexically and clamped at the root, as a container runtime would (`escaped` says it
 * happened, so the caller can warn); empty names and NUL bytes are refused.
 */
export function cleanEntryPath(name: string): CleanPath {
  if (name.includes('\0')) return { ok: false, reason: 'name contains a NUL byte' };
  const parts: string[] = [];
  let escaped = name.startsWith('/');
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) escaped = true;
      else parts.pop();
      continue;
    }
    parts.push(part);
  }
  return { ok: true, path: '/' + parts.join('/'), escaped };
}

/** The parent of a `/`-rooted path (`/` for top-level names). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last component of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a symlink target to the directory holding the link, lexically and clamped at `/`. */
export function resolveLinkTarget(linkPath: string, target: string): string {
  const base = target.startsWith('/') ? target : `${parentPath(linkPath)}/${target}`;
  const cleaned = cleanEntryPath(base);
  return cleaned.ok ? cleaned.path : '/';
}

/** Decodes bytes as UTF-8, reporting whether they were valid (names must be shown, not guessed). */
export function decodeName(bytes: Buffer): { name: string; valid: boolean } {
  try {
    return { name: new TextDecoder('utf-8', { fatal: true }).decode(bytes), valid: true };
  } catch {
    return { name: bytes.toString('latin1'), valid: false };
  }
}
