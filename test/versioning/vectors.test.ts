/**
 * One data-driven runner over EVERY file in `../shared/testdata/versions/`. Each row must hold,
 * except those listed (with a reason) in `vector-exceptions.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as semverLib from 'semver';
import { afterAll, describe, expect, it } from 'vitest';
import type { SchemeId } from '../../src/ecosystems.js';
import { compareApkRaw } from '../../src/versioning/apk.js';
import { parseDpkgVersion } from '../../src/versioning/dpkg.js';
import { pep440Satisfies } from '../../src/versioning/pep440-specifier.js';
import { goCanonical, go as goScheme } from '../../src/versioning/go.js';
import { schemes } from '../../src/versioning/index.js';
import { listVectorFiles, readVectorRows, versionsDir, type VectorRow } from './vector-data.js';
import { vectorExceptions, type VectorException } from './vector-exceptions.js';

/** Which schemes each folder's comparison rows run against. */
const folderSchemes: Record<string, SchemeId[]> = {
  alpine: ['apk'],
  cran: ['cran'],
  debian: ['dpkg'],
  go: ['go'],
  maven: ['maven'],
  npm: ['semver'],
  nuget: ['nuget'],
  packagist: ['composer'],
  pub: ['pub'],
  pypi: ['pep440'],
  redhat: ['rpm'],
  rubygems: ['rubygems'],
  // osv-scalibr runs its semver file for npm, crates.io, Go and Hex.
  semver: ['semver', 'go'],
};

/** Folders Vigil has no scheme for, and why; their rows are counted, not run. */
const outOfScope: Record<string, string> = {
  hackage: 'Hackage is not an ecosystem Vigil supports (no scheme in src/ecosystems.ts)',
};

/**
 * Upstream comparators define an order for strings their scheme rejects (apk-tools orders
 * invalid versions; x/mod puts every invalid string below every valid one). Vigil's schemes
 * reject such input (a verdict of unknown); rows with a rejected side are checked against the
 * upstream rule instead, and the rejection itself is asserted.
 */
const orderForInvalid: Partial<Record<SchemeId, (a: string, b: string) => number>> = {
  apk: (a, b) => compareApkRaw(a, b),
  go: (a, b) => {
    const va = goScheme.isValid(a);
    const vb = goScheme.isValid(b);
    if (va && vb) return goScheme.compare(a, b);
    return va === vb ? 0 : va ? 1 : -1;
  },
};

type Outcome = { ok: true; viaInvalidRule?: boolean } | { ok: false; detail: string };

function holds(op: string, c: number): boolean {
  switch (op) {
    case '<':
      return c < 0;
    case '>':
      return c > 0;
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    default:
      throw new Error(`unknown operator ${op}`);
  }
}

function runComparison(scheme: SchemeId, row: VectorRow): Outcome {
  const [a = '', op = '', b = ''] = row.fields;
  const s = schemes[scheme];
  if (s.isValid(a) && s.isValid(b)) {
    const c = s.compare(a, b);
    return holds(op, c) ? { ok: true } : { ok: false, detail: `compare gave ${c}` };
  }
  const raw = orderForInvalid[scheme];
  const why = [a, b].filter((v) => !s.isValid(v)).map((v) => JSON.stringify(v)).join(', ');
  if (!raw) return { ok: false, detail: `rejected as invalid: ${why}` };
  const c = raw(a, b);
  return holds(op, c) ? { ok: true, viaInvalidRule: true } : { ok: false, detail: `upstream rule for invalid ${why} gave ${c}` };
}

function runRange(file: string, row: VectorRow): Outcome {
  const [version = '', result = '', range = '', optionsJson = '{}'] = row.fields;
  let options: semverLib.RangeOptions = {};
  try {
    const parsed: unknown = JSON.parse(optionsJson);
    if (parsed && typeof parsed === 'object') options = parsed as semverLib.RangeOptions;
  } catch {
    // Upstream odd values (regexps) were written raw; they mean no options.
  }
  let got: boolean;
  let want: boolean;
  if (file.startsWith('pypi/')) {
    // pypa's test_specifiers builds Specifier(spec, prereleases=True).
    got = pep440Satisfies(version, range, { prereleases: true });
    want = result === 'satisfies';
  } else if (result === 'gtr' || result === '!gtr') {
    got = semverLib.gtr(version, range, options);
    want = result === 'gtr';
  } else if (result === 'ltr' || result === '!ltr') {
    got = semverLib.ltr(version, range, options);
    want = result === 'ltr';
  } else {
    got = semverLib.satisfies(version, range, options);
    want = result === 'satisfies';
  }
  return got === want ? { ok: true } : { ok: false, detail: `got ${got}` };
}

function runFuzzy(row: VectorRow): Outcome {
  const [a = '', op = '', b = ''] = row.fields;
  const c = compareApkRaw(a, b, true);
  const ok = op === '~' ? c === 0 : op === '!~' ? c !== 0 : op === '<~' ? c <= 0 : op === '>~' ? c >= 0 : false;
  return ok ? { ok: true } : { ok: false, detail: `fuzzy compare gave ${c}` };
}

function runValidity(scheme: SchemeId, row: VectorRow): Outcome {
  const [v = '', want = ''] = row.fields;
  const got = schemes[scheme].isValid(v) ? 'valid' : 'invalid';
  return got === want ? { ok: true } : { ok: false, detail: `scheme says ${got}` };
}

function runDpkgParse(row: VectorRow): Outcome {
  const [input = '', ...want] = row.fields;
  let got: string[];
  try {
    const p = parseDpkgVersion(input);
    got = [String(p.epoch), p.upstream, p.revision];
  } catch {
    got = ['invalid'];
  }
  const expected = want[0] === 'invalid' ? ['invalid'] : [want[0] ?? '', want[1] ?? '', want[2] ?? ''];
  return JSON.stringify(got) === JSON.stringify(expected) ? { ok: true } : { ok: false, detail: `parsed as ${JSON.stringify(got)}` };
}

function runGoCanonical(row: VectorRow): Outcome {
  const [input = '', want = ''] = row.fields;
  const got = goCanonical(input);
  return got === want ? { ok: true } : { ok: false, detail: `canonical ${JSON.stringify(got)}` };
}

/** How each file is run. */
function fileKind(file: string): 'comparison' | 'range' | 'fuzzy' | 'validity' | 'dpkg-parse' | 'go-canonical' {
  if (file.endsWith('dpkg__t-version-parse.tsv')) return 'dpkg-parse';
  if (file.endsWith('golang-mod__semver-canonical.tsv')) return 'go-canonical';
  if (file.endsWith('__fuzzy.tsv')) return 'fuzzy';
  if (file.endsWith('__validity.tsv') || file.endsWith('pypa-packaging__invalid.tsv')) return 'validity';
  if (/range-include|range-exclude|pypa-packaging__specifiers|version-(not-)?(gt|lt)-range/.test(file)) return 'range';
  return 'comparison';
}

interface FileResult {
  rows: number;
  passed: number;
  viaInvalidRule: number;
  excepted: number;
  failures: string[];
}

function exceptionFor(file: string, scheme: string, row: VectorRow): VectorException | undefined {
  return vectorExceptions.find(
    (e) => e.file === file && e.scheme === scheme && (e.lines?.includes(row.line) || e.match?.(row) === true),
  );
}

const exceptionHits = new Map<VectorException, number>();
const summary: string[] = [];

function runFile(file: string, scheme: SchemeId): FileResult {
  const kind = fileKind(file);
  const result: FileResult = { rows: 0, passed: 0, viaInvalidRule: 0, excepted: 0, failures: [] };
  for (const row of readVectorRows(file)) {
    result.rows++;
    let outcome: Outcome;
    try {
      if (kind === 'comparison') outcome = runComparison(scheme, row);
      else if (kind === 'range') outcome = runRange(file, row);
      else if (kind === 'fuzzy') outcome = runFuzzy(row);
      else if (kind === 'validity') outcome = runValidity(scheme, row);
      else if (kind === 'dpkg-parse') outcome = runDpkgParse(row);
      else outcome = runGoCanonical(row);
    } catch (err) {
      outcome = { ok: false, detail: `threw ${err instanceof Error ? err.message : String(err)}` };
    }
    const exception = exceptionFor(file, scheme, row);
    if (exception) {
      // A listed row must really fail; otherwise the list is stale.
      if (outcome.ok) result.failures.push(`line ${row.lineNo} is listed as an exception but holds: ${row.line}`);
      else {
        result.excepted++;
        exceptionHits.set(exception, (exceptionHits.get(exception) ?? 0) + 1);
      }
      continue;
    }
    if (outcome.ok) {
      result.passed++;
      if (outcome.viaInvalidRule) result.viaInvalidRule++;
    } else {
      result.failures.push(`line ${row.lineNo}: ${JSON.stringify(row.fields)}: ${outcome.detail}`);
    }
  }
  return result;
}

const files = listVectorFiles().filter((f) => f.endsWith('.tsv'));
const counts = JSON.parse(readFileSync(join(versionsDir, 'COUNTS.json'), 'utf8')) as Record<string, number>;

afterAll(() => {
  // One line per file, so a run shows what was checked and what was set aside.
  if (process.env.VIGIL_VECTOR_SUMMARY) console.log(summary.join('\n'));
});

describe('third-party version vectors', () => {
  it('covers every file the vectors folder lists, with the row counts COUNTS.json gives', () => {
    expect(files.map((f) => `versions/${f}`).sort()).toEqual(Object.keys(counts).sort());
    for (const f of files) expect(readVectorRows(f).length, f).toBe(counts[`versions/${f}`]);
  });

  for (const file of files) {
    const folder = file.split('/')[0]!;
    if (outOfScope[folder]) {
      it(`${file}: out of scope (${outOfScope[folder]})`, () => {
        const rows = readVectorRows(file).length;
        expect(rows).toBeGreaterThan(0);
        summary.push(`${file}: ${rows} rows not run: ${outOfScope[folder]}`);
      });
      continue;
    }
    const targets = fileKind(file) === 'comparison' || fileKind(file) === 'validity' ? folderSchemes[folder]! : [folderSchemes[folder]![0]!];
    for (const scheme of targets) {
      it(`${file} [${scheme}]`, () => {
        const r = runFile(file, scheme);
        summary.push(`${file} [${scheme}]: ${r.rows} rows, ${r.passed} hold (${r.viaInvalidRule} by the upstream rule for invalid strings), ${r.excepted} listed exceptions`);
        expect(r.failures, `${r.failures.length} of ${r.rows} rows fail`).toEqual([]);
        expect(r.passed + r.excepted).toBe(r.rows);
      });
    }
  }

  it('every exception matches failing rows, and exactly its stated count', () => {
    for (const e of vectorExceptions) {
      const hits = exceptionHits.get(e) ?? 0;
      expect(hits, `${e.file} [${e.scheme}]: ${e.reason}`).toBeGreaterThan(0);
      if (e.lines) expect(hits, `${e.file}: every listed line must fail`).toBe(e.lines.length);
      if (e.count !== undefined) expect(hits, `${e.file}: ${e.reason}`).toBe(e.count);
    }
  });
});
