/**
 * Version ordering speed: compares per second per scheme (parsed versions cached, as in a scan
 * where advisories repeat bounds), cold parses per second, and `vigil version compare --batch`
 * throughput on 100,000 lines through the real CLI.
 */
import { spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SchemeId } from '../src/ecosystems.js';
import { runBatch } from '../src/cli/version.js';
import { schemes } from '../src/versioning/index.js';
import type { Bench } from './benches.js';
import { report } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Realistic versions per scheme, built from a counter so every run compares the same pairs. */
const makers: Record<SchemeId, (i: number) => string> = {
  dpkg: (i) => `${i % 9 === 0 ? '1:' : ''}${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? '~rc1' : ''}-${i % 4}+deb12u${i % 3}`,
  rpm: (i) => `${i % 9 === 0 ? '1:' : ''}${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? '~rc1' : ''}-${i % 40}.el9_${i % 3}`,
  apk: (i) => `${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? '_rc1' : ''}-r${i % 6}`,
  semver: (i) => `${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? `-beta.${i % 3}` : ''}`,
  pub: (i) => `${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? `-dev.${i % 3}` : ''}${i % 11 === 0 ? '+1' : ''}`,
  go: (i) => (i % 10 === 0 ? `v0.0.0-2023${String(1000 + i).slice(-4)}120000-abcdef${String(100000 + i).slice(-6)}` : `v${i % 7}.${i % 13}.${i % 17}`),
  pep440: (i) => `${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? `rc${i % 3}` : ''}${i % 11 === 0 ? '.post1' : ''}`,
  maven: (i) => `${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? '-SNAPSHOT' : i % 6 === 0 ? '.Final' : ''}`,
  nuget: (i) => `${i % 7}.${i % 13}.${i % 17}${i % 4 === 0 ? `.${i % 3}` : ''}${i % 5 === 0 ? '-preview.1' : ''}`,
  rubygems: (i) => `${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? '.rc1' : ''}`,
  composer: (i) => `${i % 3 === 0 ? 'v' : ''}${i % 7}.${i % 13}.${i % 17}${i % 5 === 0 ? '-beta2' : ''}`,
  cran: (i) => `${i % 7}.${i % 13}-${i % 17}`,
};

const SET = 2000;
const MIN_MS = 400;

function comparesPerSecond(id: SchemeId): number {
  const scheme = schemes[id];
  const versions = Array.from({ length: SET }, (_, i) => makers[id](i));
  for (const v of versions) scheme.parse(v); // warm the cache
  let n = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MS) {
    for (let i = 0; i < SET; i++) {
      sink += scheme.compare(versions[i]!, versions[(i * 7 + n) % SET]!);
    }
    n += SET;
    elapsed = performance.now() - start;
  }
  if (sink === Number.MAX_SAFE_INTEGER) console.log(sink); // keep the loop observable
  return Math.round((n / elapsed) * 1000);
}

function coldParsesPerSecond(id: SchemeId): number {
  const scheme = schemes[id];
  const count = 20_000;
  // Distinct strings each time (a suffix the schemes accept), so every parse is a miss.
  const start = performance.now();
  for (let i = 0; i < count; i++) scheme.isValid(`${makers[id](i)}${id === 'cran' ? `.${i}` : ''}`.replace(/^(\D*)(\d+)/, `$1${1000 + i}`));
  return Math.round((count / (performance.now() - start)) * 1000);
}

function batchInput(lines: number): string {
  return Array.from({ length: lines }, (_, i) => `${makers.dpkg(i)}\t${makers.dpkg(i * 31 + 7)}`).join('\n') + '\n';
}

/** The batch loop alone (no process start-up): stream in, answers out. */
async function batchInProcessSeconds(lines: number): Promise<number> {
  const input = batchInput(lines);
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  const start = performance.now();
  await runBatch(schemes.dpkg, Readable.from([input]), sink);
  if (bytes < lines * 2) throw new Error(`batch wrote ${bytes} bytes for ${lines} lines`);
  return (performance.now() - start) / 1000;
}

function batchSeconds(lines: number): Promise<number> {
  const input = batchInput(lines);
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', `${root}/src/cli/main.ts`, 'version', 'compare', 'Debian', '--batch'], {
      cwd: root,
      env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let outLines = 0;
    child.stdout.on('data', (c: Buffer) => {
      for (const b of c) if (b === 10) outLines++;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || outLines !== lines) reject(new Error(`batch CLI exited ${code} after ${outLines} of ${lines} lines`));
      else resolve((performance.now() - start) / 1000);
    });
    child.stdin.end(input);
  });
}

export const versioningBench: Bench = {
  name: 'versioning',
  async run() {
    for (const id of Object.keys(schemes) as SchemeId[]) {
      const goal = id === 'dpkg' || id === 'semver' ? { atLeast: 1_000_000 } : undefined;
      report(`${id} compares (cached)`, comparesPerSecond(id), 'compares/s', goal);
    }
    for (const id of Object.keys(schemes) as SchemeId[]) report(`${id} cold parses`, coldParsesPerSecond(id), 'parses/s');
    const lines = 100_000;
    report('batch loop in process, 100,000 lines (no start-up)', await batchInProcessSeconds(lines), 's', { atMost: 2 });
    const seconds = await batchSeconds(lines);
    report('vigil version compare --batch, 100,000 lines (incl. CLI start-up)', seconds, 's', { atMost: 5 });
    report('vigil version compare --batch throughput', Math.round(lines / seconds), 'lines/s');
  },
};
