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
  const clean = cleanRelativeName(name);
  if (clean !== undefined) return { ok: true, path: clean, escaped: false };
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

/**
 * The common case of {@link cleanEntryPath}, without splitting: a relative name (`./` before it
 * and one `/` after it allowed) whose parts are neither empty, `.` nor `..`, and with no NUL,
 * is `/` + the name. Undefined for any other name, which takes the general way.
 */
function cleanRelativeName(name: string): string | undefined {
  const start = name.startsWith('./') ? 2 : 0;
  const end = name.length > start && name.charCodeAt(name.length - 1) === SLASH ? name.length - 1 : name.length;
  if (end <= start) return undefined;
  let partStart = start;
  for (let i = start; i <= end; i++) {
    const c = i < end ? name.charCodeAt(i) : SLASH;
    if (c === 0) return undefined;
    if (c !== SLASH) continue;
    const length = i - partStart;
    // An empty part (`//`), `.` or `..`.
    if (length === 0 || (name.charCodeAt(partStart) === DOT && (length === 1 || (length === 2 && name.charCodeAt(partStart + 1) === DOT)))) return undefined;
    partStart = i + 1;
  }
  return `/${name.slice(start, end)}`;
}

const SLASH = 0x2f;
const DOT = 0x2e;

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
