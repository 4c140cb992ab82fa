/**
 * Alpine's (and Wolfi's) package database `lib/apk/db/installed`: blank-line separated
 * records of one-letter fields (`P:` name, `V:` version, `A:` arch, `o:` origin, `L:`
 * licence, `m:` maintainer, `c:` commit, `F:` directory, `R:` file in that directory).
 * Every record is installed. The origin is the source package (it defaults to the name).
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';

const INSTALLED = '/lib/apk/db/installed';
const MAX_BYTES = 256 * 1024 * 1024;

/** Thrown for bytes that are not an apk database. */
export class ApkDatabaseError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ApkDatabaseError';
  }
}

/** Kernel packages as Alpine names them (`linux-lts`, `linux-virt`, `linux-edge`, …). */
export function isApkKernel(name: string): boolean {
  return /^linux-(lts|virt|edge|rpi\d*|stable|firmware-none)$/.test(name) && name !== 'linux-firmware-none';
}

interface Record_ {
  fields: Map<string, string>;
  files: string[];
}

function parseRecords(text: string, path: string): Record_[] {
  const records: Record_[] = [];
  let current: Record_ | undefined;
  let dir = '';
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      if (current) records.push(current);
      current = undefined;
      dir = '';
      continue;
    }
    if (line.length < 2 || line[1] !== ':') throw new ApkDatabaseError(path, `line ${i + 1}: expected "X:value", got "${line.slice(0, 60)}"`);
    current ??= { fields: new Map(), files: [] };
    const key = line[0];
    const value = line.slice(2);
    if (key === 'F') dir = value;
    else if (key === 'R') current.files.push(`/${dir ? `${dir}/` : ''}${value}`);
    else if (!current.fields.has(key)) current.fields.set(key, value);
  }
  if (current) records.push(current);
  return records;
}

/** The apk installed-database extractor. */
export const apkInstalled = {
  id: 'os/apk-installed',
  version: 1,
  fileRequired(path: string): boolean {
    return path === INSTALLED;
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    if (file.size > MAX_BYTES) throw new ApkDatabaseError(file.path, `file too large (${file.size} bytes)`);
    const records = parseRecords((await file.read()).toString('utf8'), file.path);
    const out: FoundPackage[] = [];
    for (const r of records) {
      const name = r.fields.get('P');
      const version = r.fields.get('V');
      if (!name || !version) {
        ctx.warn(`record without ${name ? 'V:' : 'P:'} field${name ? ` (package ${name})` : ''}; skipped`);
        continue;
      }
      const metadata: Record<string, string> = {};
      const license = r.fields.get('L');
      if (license) metadata.license = license;
      const maintainer = r.fields.get('m');
      if (maintainer) metadata.maintainer = maintainer;
      const commit = r.fields.get('c');
      if (commit) metadata.commit = commit;
      const pkg: FoundPackage = {
        purlType: 'apk',
        name,
        version,
        source: { name: r.fields.get('o') || name, version },
        arch: r.fields.get('A'),
        metadata,
        ownedFiles: r.files,
      };
      if (isApkKernel(name)) pkg.kernel = true;
      out.push(pkg);
    }
    return out;
  },
} satisfies Extractor;
