/**
 * Real rpm databases for tests: small noarch packages built with Debian's `rpmbuild` and
 * recorded (`rpm -i --justdb`) into a database made by `rpm --initdb` — the SQLite backend
 * Debian's rpm writes, as RHEL 9 and Amazon Linux 2023 have.
 *
 * ```ts
 * await installRpms([{ name: 'zlib', version: '1.2.13', release: '3.amzn2023.0.1' }], join(root, 'var/lib/rpm'), work);
 * ```
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireComponent } from './components.js';

/** One package to build: its identity and the files it installs (empty files, or a METADATA stand-in). */
export interface RpmSpec {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  /** Absolute paths the package owns (default none). */
  files?: string[];
  /** rpm's `modularitylabel`, as RHEL module packages carry it. */
  modularityLabel?: string;
}

/** Builds one noarch package into `top/RPMS/noarch` (vendor "Vigil Tests", license MIT). */
async function buildRpm(s: RpmSpec, top: string): Promise<void> {
  const files = s.files ?? [];
  const install = files.map((f) => `mkdir -p "%{buildroot}$(dirname ${f})"\nprintf 'Metadata-Version: 2.1\\nName: vigil-owned\\nVersion: 1.0\\n' > "%{buildroot}${f}"`).join('\n');
  const spec = [
    `Name: ${s.name}`,
    `Version: ${s.version}`,
    `Release: ${s.release}`,
    ...(s.epoch !== undefined ? [`Epoch: ${s.epoch}`] : []),
    'Summary: Vigil test package',
    'License: MIT',
    'Vendor: Vigil Tests',
    'BuildArch: noarch',
    '%description',
    'A package built by Vigil tests.',
    '%install',
    install || 'true',
    '%files',
    ...files,
    '',
  ].join('\n');
  const file = join(top, 'SPECS', `${s.name}.spec`);
  await writeFile(file, spec);
  const defines = ['--define', `_topdir ${top}`, ...(s.modularityLabel ? ['--define', `modularitylabel ${s.modularityLabel}`] : [])];
  execFileSync('rpmbuild', ['-bb', '--quiet', ...defines, file], { stdio: 'ignore' });
}

/** Builds `specs` (under a new folder in `work`) and records them in a new rpm database at `dbpath`. */
export async function installRpms(specs: readonly RpmSpec[], dbpath: string, work: string): Promise<void> {
  requireComponent('rpm', 'rpmbuild');
  const top = await mkdtemp(join(work, 'rpmbuild-'));
  await mkdir(join(top, 'SPECS'), { recursive: true });
  for (const s of specs) await buildRpm(s, top);
  await mkdir(dbpath, { recursive: true });
  execFileSync('rpm', ['--dbpath', dbpath, '--initdb']);
  const rpms = readdirSync(join(top, 'RPMS/noarch')).map((f) => join(top, 'RPMS/noarch', f));
  execFileSync('rpm', ['--dbpath', dbpath, '-i', '--justdb', '--nodeps', '--noscripts', ...rpms], { stdio: 'ignore' });
}
