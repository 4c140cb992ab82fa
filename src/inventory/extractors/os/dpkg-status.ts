/**
 * dpkg's database: `var/lib/dpkg/status`, distroless `var/lib/dpkg/status.d/*`, and opkg's
 * `usr/lib/opkg/status` (same format). Reports installed packages only, as the `Status`
 * field says (`status.d` stanzas have none: they are installed by construction), with the
 * source package from `Source: name (version)`, defaulting to the binary's own.
 * File ownership comes from `info/<pkg>.list` (or `status.d/<pkg>.md5sums`).
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';

const STATUS = '/var/lib/dpkg/status';
const STATUS_D = '/var/lib/dpkg/status.d/';
const OPKG_STATUS = '/usr/lib/opkg/status';
const INFO = '/var/lib/dpkg/info/';
const MAX_BYTES = 256 * 1024 * 1024;

/** One control stanza: field name (case as written) → value (continuation lines joined with `\n`). */
export type Stanza = Map<string, string>;

/** Thrown for bytes that are not a control file. */
export class ControlFileError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ControlFileError';
  }
}

/**
 * Parses deb822 control data (blank-line separated stanzas of `Field: value`, continuation
 * lines start with a space or tab). Field names are matched case-insensitively, as dpkg does.
 */
export function parseControl(text: string, path: string): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Stanza | undefined;
  let lastKey: string | undefined;
  const lines = text.split('\n');
  for (const [i, rawLine] of lines.entries()) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') {
      if (current && current.size > 0) stanzas.push(current);
      current = undefined;
      lastKey = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!current || !lastKey) throw new ControlFileError(path, `line ${i + 1}: continuation line outside a field`);
      current.set(lastKey, `${current.get(lastKey)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ControlFileError(path, `line ${i + 1}: expected "Field: value", got "${line.slice(0, 60)}"`);
    current ??= new Map();
    lastKey = line.slice(0, colon).trim().toLowerCase();
    current.set(lastKey, line.slice(colon + 1).trim());
  }
  if (current && current.size > 0) stanzas.push(current);
  return stanzas;
}

/** `Source: glibc (2.36-9)` → name and version; without a version, the binary's version. */
export function parseSource(field: string | undefined, name: string, version: string): { name: string; version: string } {
  if (!field) return { name, version };
  const m = /^(\S+)(?:\s*\((.+)\))?$/.exec(field.trim());
  if (!m) return { name, version };
  return { name: m[1], version: m[2]?.trim() ?? version };
}

/** Kernel image and module packages (for kernel-aware matching). */
export function isDebKernel(name: string): boolean {
  return /^linux-(image|modules|modules-extra|signed-image)-/.test(name) || /^linux-image-(amd64|arm64|generic|virtual|aws|azure|gcp)/.test(name);
}

function isInstalled(status: string | undefined, path: string): boolean {
  // Distroless status.d stanzas carry no Status: they exist only for installed packages. In
  // the main database dpkg always writes one, so a stanza without it is not installed.
  if (status === undefined) return path.startsWith(STATUS_D);
  // `want flag state`: only the state matters (a package marked for removal is still installed).
  return status.trim().split(/\s+/)[2] === 'installed';
}

function isTransitional(description: string | undefined): boolean {
  return /\btransitional\b|\bdummy package\b/i.test(description ?? '');
}

function parseList(data: Buffer): string[] {
  // One pass: a server's lists hold tens of thousands of paths.
  const paths: string[] = [];
  for (const line of data.toString('utf8').split('\n')) {
    const path = line.trim();
    if (path.startsWith('/')) paths.push(path);
  }
  return paths;
}

function parseMd5sums(data: Buffer): string[] {
  return data
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim().replace(/^[0-9a-f]{32}\s+/, ''))
    .filter((l) => l !== '')
    .map((l) => (l.startsWith('/') ? l : `/${l}`));
}

async function ownedFiles(file: FileRef, name: string, arch: string | undefined, ctx: ExtractContext): Promise<string[] | undefined> {
  if (!ctx.readFile) return undefined;
  if (file.path.startsWith(STATUS_D)) {
    const sums = await ctx.readFile(`${STATUS_D}${name}.md5sums`);
    return sums ? parseMd5sums(sums) : undefined;
  }
  if (file.path !== STATUS) return undefined;
  const list = (await ctx.readFile(`${INFO}${name}.list`)) ?? (arch ? await ctx.readFile(`${INFO}${name}:${arch}.list`) : undefined);
  return list ? parseList(list) : undefined;
}

/** The dpkg (and opkg) status extractor. */
export const dpkgStatus = {
  id: 'os/dpkg-status',
  version: 1,
  fileRequired(path: string): boolean {
    return path === STATUS || path === OPKG_STATUS || (path.startsWith(STATUS_D) && !path.endsWith('.md5sums') && !path.slice(STATUS_D.length).includes('/'));
  },
  auxiliaryFile(path: string): boolean {
    return (path.startsWith(INFO) && path.endsWith('.list')) || (path.startsWith(STATUS_D) && path.endsWith('.md5sums'));
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    if (file.size > MAX_BYTES) throw new ControlFileError(file.path, `file too large (${file.size} bytes)`);
    const stanzas = parseControl((await file.read()).toString('utf8'), file.path);
    const purlType = file.path === OPKG_STATUS ? 'opkg' : 'deb';
    const out: FoundPackage[] = [];
    for (const s of stanzas) {
      ctx.signal?.throwIfAborted();
      const name = s.get('package');
      const version = s.get('version');
      if (!name || !version) {
        ctx.warn(`stanza without ${name ? 'Version' : 'Package'} field${name ? ` (package ${name})` : ''}; skipped`);
        continue;
      }
      if (!isInstalled(s.get('status'), file.path)) continue;
      const arch = s.get('architecture');
      const metadata: Record<string, string> = {};
      const maintainer = s.get('maintainer');
      if (maintainer) metadata.maintainer = maintainer;
      const status = s.get('status');
      if (status) metadata.status = status;
      if (isTransitional(s.get('description'))) metadata.transitional = 'true';
      const pkg: FoundPackage = {
        purlType,
        name,
        version,
        source: parseSource(s.get('source'), name, version),
        arch,
        metadata,
      };
      if (purlType === 'deb' && isDebKernel(name)) pkg.kernel = true;
      const owned = await ownedFiles(file, name, arch, ctx);
      if (owned) pkg.ownedFiles = owned;
      out.push(pkg);
    }
    return out;
  },
} satisfies Extractor;
