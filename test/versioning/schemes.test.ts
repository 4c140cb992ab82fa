/** The registry's contract, checked for every scheme (one conformance spec over the flat registry). */
import { describe, expect, it } from 'vitest';
import { ECOSYSTEMS, UnknownEcosystemError, type SchemeId } from '../../src/ecosystems.js';
import { defineScheme } from '../../src/versioning/cache.js';
import { compareDpkgVersions, parseDpkgVersion, verrevcmp } from '../../src/versioning/dpkg.js';
import { compareRpmTokens, rpmTokens, rpmvercmp } from '../../src/versioning/rpm.js';
import { schemeFor, schemes } from '../../src/versioning/index.js';
import { InvalidVersionError } from '../../src/versioning/types.js';
import { listVectorFiles, readVectorRows } from './vector-data.js';

const folderScheme: Partial<Record<string, SchemeId>> = {
  alpine: 'apk', cran: 'cran', debian: 'dpkg', go: 'go', maven: 'maven', npm: 'semver', nuget: 'nuget',
  packagist: 'composer', pub: 'pub', pypi: 'pep440', redhat: 'rpm', rubygems: 'rubygems', semver: 'semver',
};

/** Valid versions of a scheme, taken from its comparison vector files. */
function sampleVersions(id: SchemeId, max: number): string[] {
  const set = new Set<string>();
  for (const file of listVectorFiles()) {
    if (folderScheme[file.split('/')[0]!] !== id || /range|fuzzy|validity|invalid|parse|canonical|specifiers/.test(file)) continue;
    for (const row of readVectorRows(file)) {
      for (const v of [row.fields[0]!, row.fields[2]!]) if (schemes[id].isValid(v)) set.add(v);
    }
  }
  // Spread the sample over the whole set rather than its first lines.
  const all = [...set];
  const step = Math.max(1, Math.floor(all.length / max));
  return all.filter((_, i) => i % step === 0).slice(0, max);
}

describe('the scheme registry', () => {
  it('has one scheme per SchemeId, under its own id', () => {
    for (const [id, scheme] of Object.entries(schemes)) expect(scheme.id).toBe(id);
  });

  it('maps every ecosystem (with or without release) to its scheme', () => {
    for (const e of ECOSYSTEMS) {
      expect(schemeFor(e.name).id, e.name).toBe(e.scheme);
      expect(schemeFor(`${e.name}:1`).id, e.name).toBe(e.scheme);
    }
  });

  it('rejects an unknown ecosystem, listing the known ones', () => {
    expect(() => schemeFor('Gentoo')).toThrow(UnknownEcosystemError);
  });

  it.each(Object.keys(schemes) as SchemeId[])('%s: invalid input throws InvalidVersionError naming input and scheme', (id) => {
    const bad = 'not a version\u0000';
    expect(schemes[id].isValid(bad)).toBe(false);
    expect(() => schemes[id].parse(bad)).toThrow(InvalidVersionError);
    expect(() => schemes[id].compare(bad, bad)).toThrow(`invalid ${id} version "${bad}"`);
  });

  it.each(Object.keys(schemes).filter((id) => folderScheme[id] !== undefined || Object.values(folderScheme).includes(id as SchemeId)) as SchemeId[])(
    '%s: compare is a total order on the vector versions (antisymmetric, transitive after sorting)',
    (id) => {
      const s = schemes[id];
      const versions = sampleVersions(id, 250);
      expect(versions.length).toBeGreaterThan(10);
      const sorted = [...versions].sort((a, b) => s.compare(a, b));
      const broken: string[] = [];
      for (let i = 0; i < sorted.length; i++) {
        for (let j = i + 1; j < sorted.length; j++) {
          const c = s.compare(sorted[i]!, sorted[j]!);
          if (c > 0) broken.push(`${sorted[i]} sorts before ${sorted[j]} but compares above it`);
          if (Math.sign(s.compare(sorted[j]!, sorted[i]!)) !== -Math.sign(c)) broken.push(`not antisymmetric: ${sorted[i]} / ${sorted[j]}`);
        }
      }
      expect(broken.slice(0, 10)).toEqual([]);
    },
  );

  it.each([
    ['pep440', '1.0-SNAPSHOT-x'], // valid Maven, not PEP 440
    ['semver', '1.0'], // valid almost everywhere else
    ['dpkg', 'a1.0'], // no leading digit
    ['go', 'v1.2-pre'], // valid SemVer-ish, not x/mod
    ['apk', '1.0-1'], // a Debian revision is not an apk revision
  ] as const)('%s does not fall back to other rules for %s', (id, v) => {
    expect(schemes[id].isValid(v)).toBe(false);
  });

  it('keeps answering correctly past its cache bound', () => {
    let parses = 0;
    const s = defineScheme<number>({
      id: 'cran',
      cacheSize: 100,
      parse: (v) => {
        parses++;
        return Number(v);
      },
      compare: (a, b) => a - b,
    });
    for (let i = 0; i < 1000; i++) expect(s.parse(String(i))).toBe(i);
    expect(parses).toBe(1000);
    expect(s.compare('999', '998')).toBeGreaterThan(0); // recent ones are still cached
    expect(parses).toBe(1000);
    expect(s.compare('1', '2')).toBeLessThan(0); // evicted ones are parsed again, correctly
    expect(parses).toBe(1002);
  });
});

describe('fast comparison paths agree with the direct ports of the C code', () => {
  // Random strings over the characters that matter, from a fixed seed (the differential tests
  // compare the schemes with the real tools; this pins the pre-split paths to the ports).
  let state = 12345;
  const rand = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const randomString = (alphabet: string[]): string => {
    let s = '';
    const n = Math.floor(rand() * 8);
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    return s;
  };

  it('rpm: compareRpmTokens ≡ rpmvercmp', () => {
    const alphabet = ['0', '1', '9', '00', '10', 'a', 'b', 'Z', '.', '_', '+', '~', '^', '-'];
    const bad: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const a = randomString(alphabet);
      const b = rand() < 0.5 ? randomString(alphabet) : a + randomString(alphabet);
      const want = rpmvercmp(a, b);
      const got = compareRpmTokens(rpmTokens(a), rpmTokens(b));
      if (want !== got) bad.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${got}, rpmvercmp ${want}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('dpkg: the pre-split keys ≡ verrevcmp', () => {
    const alphabet = ['0', '1', '9', '00', '10', 'a', 'b', 'Z', '.', '+', '~', '-', ':'];
    const bad: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const a = `1${randomString(alphabet)}`;
      const b = rand() < 0.5 ? `1${randomString(alphabet)}` : a + randomString(alphabet);
      const pa = parseDpkgVersion(`0:${a}-0`);
      const pb = parseDpkgVersion(`0:${b}-0`);
      const want = Math.sign(verrevcmp(pa.upstream, pb.upstream));
      const got = compareDpkgVersions(pa, pb);
      if (want !== got) bad.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${got}, verrevcmp ${want}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });
});
