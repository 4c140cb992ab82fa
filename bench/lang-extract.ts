/**
 * Language extraction speed: a generated `node_modules` tree of 1,500 packages (scoped and
 * nested, as npm lays them out) scanned as a directory target through the whole inventory,
 * and the extractor alone over it (files read into memory first); and large generated lockfiles (package-lock.json,
 * yarn.lock, pnpm-lock.yaml, 20,000 packages each) through their extractors. When
 * `@cyclonedx/cdxgen` installs (once, into a cache under the temp dir), it inventories the
 * same tree for comparison.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { nodeModules } from '../src/inventory/extractors/javascript/node-modules.js';
import { packageLockJson } from '../src/inventory/extractors/javascript/package-lock-json.js';
import { pnpmLock } from '../src/inventory/extractors/javascript/pnpm-lock.js';
import { yarnLock } from '../src/inventory/extractors/javascript/yarn-lock.js';
import { scanTarget } from '../src/inventory/index.js';
import type { Extractor, FileRef, FoundPackage } from '../src/inventory/types.js';
import type { Bench } from './benches.js';
import { cdxgen, runCdxgen } from './cdxgen.js';
import { report, timeIt } from './report.js';

const TREE_PACKAGES = 1500;
const LOCK_PACKAGES = 20_000;

/** A file read into memory first, so the extractor's own cost is what gets timed. */
async function fileRef(disk: string, path: string): Promise<FileRef> {
  const data = await readFile(disk);
  return { path, size: data.length, read: () => Promise.resolve(data), stream: () => Readable.from([data]) };
}

async function extract(e: Extractor, file: FileRef): Promise<FoundPackage[]> {
  const r = e.extract(file, { warn: () => undefined });
  if (Symbol.asyncIterator in r) {
    const out: FoundPackage[] = [];
    for await (const p of r) out.push(p);
    return out;
  }
  return r;
}

/** Writes `count` installed packages: a third scoped, a fifth nested under another package. */
async function writeTree(root: string, count: number): Promise<string[]> {
  const files: string[] = [];
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'generated', version: '1.0.0', private: true }));
  for (let i = 0; i < count; i++) {
    const name = i % 3 === 0 ? `@scope${i % 17}/pkg-${i}` : `pkg-${i}`;
    const parent = i % 5 === 0 && i > 0 ? `node_modules/pkg-${i - 1}/` : '';
    const dir = join(root, `${parent}node_modules/${name}`);
    await mkdir(join(dir, 'lib'), { recursive: true });
    const manifest = { name, version: `1.${i % 50}.${i % 7}`, description: 'generated for the benchmark', main: 'lib/index.js', license: 'MIT', dependencies: { [`pkg-${i + 1}`]: '^1.0.0' } };
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    await writeFile(join(dir, 'lib/index.js'), `module.exports = ${i};\n`);
    files.push(`/${parent}node_modules/${name}/package.json`);
  }
  return files;
}

function packageLock(n: number): string {
  const packages: Record<string, unknown> = { '': { name: 'big', version: '1.0.0' } };
  for (let i = 0; i < n; i++) {
    packages[`node_modules/pkg-${i}`] = {
      version: `1.${i % 50}.${i % 7}`,
      resolved: `https://registry.npmjs.org/pkg-${i}/-/pkg-${i}-1.0.0.tgz`,
      integrity: 'sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==',
      dev: i % 4 === 0,
      dependencies: { [`pkg-${i + 1}`]: '^1.0.0' },
    };
  }
  return JSON.stringify({ name: 'big', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2);
}

function yarnLockText(n: number): string {
  let out = '# yarn lockfile v1\n\n';
  for (let i = 0; i < n; i++) {
    out += `pkg-${i}@^1.0.0:\n  version "1.${i % 50}.${i % 7}"\n  resolved "https://registry.yarnpkg.com/pkg-${i}/-/pkg-${i}-1.0.0.tgz#0123456789abcdef0123456789abcdef01234567"\n  integrity sha512-AAAA==\n  dependencies:\n    pkg-${i + 1} "^1.0.0"\n\n`;
  }
  return out;
}

function pnpmLockText(n: number): string {
  let out = "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      pkg-0: {specifier: ^1.0.0, version: 1.0.0}\n\npackages:\n";
  for (let i = 0; i < n; i++) out += `  pkg-${i}@1.${i % 50}.${i % 7}:\n    resolution: {integrity: sha512-AAAA==}\n`;
  out += '\nsnapshots:\n';
  for (let i = 0; i < n; i++) out += `  pkg-${i}@1.${i % 50}.${i % 7}:\n    dependencies:\n      pkg-${i + 1}: 1.${(i + 1) % 50}.${(i + 1) % 7}\n`;
  return out;
}

/** The benchmark `npm run bench lang-extract` runs. */
export const langExtractBench: Bench = {
  name: 'lang-extract',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-lang-'));
    // Timings scale with how busy the machine is; print it beside them.
    report('load average (1 min) at start', loadavg()[0], 'runnable tasks');
    try {
      const tree = join(dir, 'tree');
      const files = await writeTree(tree, TREE_PACKAGES);
      let found = 0;
      const refs = await Promise.all(files.map((f) => fileRef(join(tree, f), f)));
      const alone = await timeIt(async () => {
        for (const ref of refs) found += (await extract(nodeModules, ref)).length;
      });
      report(`node_modules extractor alone, ${TREE_PACKAGES} packages`, Math.round(alone), 'ms', { atMost: 250 });
      if (found !== TREE_PACKAGES) throw new Error(`found ${found} of ${TREE_PACKAGES} packages`);
      let scanned = 0;
      const whole = await timeIt(async () => {
        const inv = await scanTarget(`dir:${tree}`);
        scanned = inv.packages.filter((p) => p.ecosystem === 'npm').length;
      });
      report(`dir scan of a ${TREE_PACKAGES}-package node_modules tree (walk + all extractors + build)`, Math.round(whole), 'ms', { atMost: 1000 });
      if (scanned !== TREE_PACKAGES) throw new Error(`scan found ${scanned} of ${TREE_PACKAGES} packages`);

      const peer = await cdxgen();
      if (peer) {
        const { seconds, components } = await runCdxgen(peer, ['-t', 'js', '--no-install-deps', tree], join(dir, 'cdxgen.json'));
        report(`cdxgen 12 on the same tree (${components} components found)`, Math.round(seconds * 1000), 'ms');
      } else {
        console.log('  cdxgen: could not be installed; no comparison');
      }

      for (const [label, extractor, name, text] of [
        ['package-lock.json', packageLockJson, 'package-lock.json', packageLock(LOCK_PACKAGES)],
        ['yarn.lock (v1)', yarnLock, 'yarn.lock', yarnLockText(LOCK_PACKAGES)],
        ['pnpm-lock.yaml (v9)', pnpmLock, 'pnpm-lock.yaml', pnpmLockText(LOCK_PACKAGES)],
      ] as const) {
        const disk = join(dir, name);
        await writeFile(disk, text);
        const ref = await fileRef(disk, `/app/${name}`);
        let n = 0;
        const ms = await timeIt(async () => {
          n = (await extract(extractor, ref)).length;
        });
        report(`${label}, ${LOCK_PACKAGES.toLocaleString('en-US')} packages (${(ref.size / 1024 / 1024).toFixed(1)} MiB)`, Math.round(ms), 'ms', { atMost: 1500 });
        if (n !== LOCK_PACKAGES) throw new Error(`${label}: found ${n} of ${LOCK_PACKAGES}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
