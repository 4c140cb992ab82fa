/**
 * Runs every faithful osv-scalibr extraction case for the language formats Vigil reads
 * (`../shared/testdata/extraction/expected/osv-scalibr/language__*.json`) through Vigil's
 * extractor, comparing the multiset of name@version and the dev marking. Where Vigil's
 * policy differs from osv-scalibr's on purpose, the case is listed in `DIFFERENCES` below
 * with the reason: that table is the one place such differences live.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizePackageName } from '../../../src/ecosystems.js';
import type { Extractor, FoundPackage } from '../../../src/inventory/types.js';
import { bunLock } from '../../../src/inventory/extractors/javascript/bun-lock.js';
import { packageLockJson } from '../../../src/inventory/extractors/javascript/package-lock-json.js';
import { pnpmLock } from '../../../src/inventory/extractors/javascript/pnpm-lock.js';
import { yarnLock } from '../../../src/inventory/extractors/javascript/yarn-lock.js';
import { pipfileLock } from '../../../src/inventory/extractors/python/pipfile-lock.js';
import { poetryLock } from '../../../src/inventory/extractors/python/poetry-lock.js';
import { requirementsTxt } from '../../../src/inventory/extractors/python/requirements-txt.js';
import { uvLock } from '../../../src/inventory/extractors/python/uv-lock.js';
import { goBinary } from '../../../src/inventory/extractors/go/go-binary.js';
import { goMod } from '../../../src/inventory/extractors/go/go-mod.js';
import { pomXml } from '../../../src/inventory/extractors/java/pom-xml.js';
import { cargoLock } from '../../../src/inventory/extractors/rust/cargo-lock.js';
import { gemfileLock } from '../../../src/inventory/extractors/ruby/gemfile-lock.js';
import { composerLock } from '../../../src/inventory/extractors/php/composer-lock.js';
import { packagesLockJson } from '../../../src/inventory/extractors/dotnet/packages-lock-json.js';
import { sharedDir } from '../../helpers/cli.js';
import { runExtractor } from '../../helpers/extractor-harness.js';

const testdata = join(sharedDir, 'testdata');

interface Format {
  extractor: Extractor;
  ecosystem: string;
  /** The path inside a target where this fixture would be found. */
  targetPath(fixture: string): string;
  /** Auxiliary files beside it (target path → disk path), offered through `ctx.readFile`. */
  siblings?(fixture: string): Record<string, string>;
  /** osv-scalibr dependency groups Vigil marks dev (default: `dev`). */
  devGroups?: string[];
  /** False when fixtures are handed over regardless of `fileRequired` (e.g. tiny stand-ins for programs). */
  requireMatch?: boolean;
}

const inProject = (name: string) => () => `/project/${name}`;

/** Expected-file stem → the Vigil extractor for that format. */
const FORMATS: Record<string, Format> = {
  language__javascript__packagelockjson: {
    extractor: packageLockJson,
    ecosystem: 'npm',
    targetPath: (f) => (basename(f) === 'npm-shrinkwrap.json' ? '/project/npm-shrinkwrap.json' : '/project/package-lock.json'),
  },
  language__javascript__yarnlock: { extractor: yarnLock, ecosystem: 'npm', targetPath: inProject('yarn.lock') },
  language__javascript__pnpmlock: { extractor: pnpmLock, ecosystem: 'npm', targetPath: inProject('pnpm-lock.yaml') },
  language__javascript__bunlock: { extractor: bunLock, ecosystem: 'npm', targetPath: inProject('bun.lock') },
  language__golang__gomod: {
    extractor: goMod,
    ecosystem: 'Go',
    targetPath: inProject('go.mod'),
    siblings: (f) => ({ '/project/go.sum': f.replace(/\.mod$/, '.sum') }),
  },
  language__golang__gobinary: { extractor: goBinary, ecosystem: 'Go', targetPath: (f) => `/usr/local/bin/${basename(f)}`, requireMatch: false },
  language__java__pomxml: {
    extractor: pomXml,
    ecosystem: 'Maven',
    targetPath: inProject('pom.xml'),
    siblings: (f) => ({ '/project/parent/pom.xml': join(dirname(f), 'parent/pom.xml') }),
    devGroups: ['test'],
  },
  language__rust__cargolock: { extractor: cargoLock, ecosystem: 'crates.io', targetPath: inProject('Cargo.lock') },
  language__ruby__gemfilelock: { extractor: gemfileLock, ecosystem: 'RubyGems', targetPath: inProject('Gemfile.lock') },
  language__php__composerlock: { extractor: composerLock, ecosystem: 'Packagist', targetPath: inProject('composer.lock') },
  language__dotnet__packageslockjson: { extractor: packagesLockJson, ecosystem: 'NuGet', targetPath: inProject('packages.lock.json') },
  language__python__requirements: { extractor: requirementsTxt, ecosystem: 'PyPI', targetPath: inProject('requirements.txt') },
  language__python__poetrylock: { extractor: poetryLock, ecosystem: 'PyPI', targetPath: inProject('poetry.lock') },
  language__python__pipfilelock: { extractor: pipfileLock, ecosystem: 'PyPI', targetPath: inProject('Pipfile.lock') },
  language__python__uvlock: { extractor: uvLock, ecosystem: 'PyPI', targetPath: inProject('uv.lock') },
};

/** What a case expects instead of osv-scalibr's list, and why. */
interface Difference {
  reason: string;
  /** Vigil's expected name@version list (sorted); omitted: same packages, only the dev marking differs. */
  packages?: string[];
  /** Skip the dev-marking comparison for this case. */
  ignoreDev?: boolean;
}

/**
 * Deliberate differences from osv-scalibr, keyed `<expected-file>/<test case> [<fixture>]`
 * (or `<expected-file>/*` for every case of a format).
 */
const DIFFERENCES: Record<string, Difference> = {
  'language__javascript__packagelockjson/valid package-lock.json and npm-shrinkwrap.json and extract package-lock.json [package-lock.json]': {
    reason:
      'osv-scalibr looks at the sibling npm-shrinkwrap.json and drops package-lock.json when both exist. Vigil extractors see one file at a time, so both are read; the builder de-duplicates identical packages.',
    packages: ['supports-color@5.5.0', 'wrappy@1.0.2'],
  },
  'language__javascript__bunlock/*': {
    reason:
      'osv-scalibr never marks dev packages in bun.lock; Vigil marks those reachable only from devDependencies (checked in formats.test.ts), so only the package lists are compared.',
    ignoreDev: true,
  },
  'language__javascript__pnpmlock/one package dev [one-package-dev.v9.yaml]': {
    reason: 'osv-scalibr does not mark dev packages in pnpm lockfile v9; Vigil works the dev flag out from the importers.',
    ignoreDev: true,
  },
  'language__python__requirements/with_version [with_versions.txt]': {
    reason:
      'Only an exact == / === pin says what is installed. osv-scalibr takes the bound of >=, <= and ~= as the version; Vigil reports those without a version (and warns) rather than guess.',
    packages: ['asdf@', 'combination-also-valid@', 'hy-phen@1.2', 'newspaper3k@', 'nltk@3.2.2', 'pkg-dot-name@5.0.0', 'pkg@', 'qwerty@0.1', 'tabulate@0.7.7', 'under-score@1.3', 'yolo@1.0'],
  },
  'language__python__requirements/pip_example [example.txt]': {
    reason:
      'Unpinned (>=, ~=) requirements have no version in Vigil; `urllib3 @ <url>` is reported by name without a version instead of dropped; the `-r other-requirements.txt` include is read when the walk hands Vigil that file, not from this one.',
    packages: ['beautifulsoup4@', 'coverage@', 'docopt@0.6.1', 'keyring@', 'mopidy-dirble@', 'pytest-cov@', 'pytest@', 'requests@', 'urllib3@'],
  },
  'language__python__requirements/env_variable [env_var.txt]': {
    reason: 'A version given by an environment variable is unknown: Vigil keeps the name without a version (and warns) instead of dropping it.',
    packages: ['another@1.0', 'asdf@1.2', 'qwert@'],
  },
  'language__python__requirements/per_requirement_options [per_req_options.txt]': {
    reason:
      '`foo10==` and `foo15==` name packages without a version: kept without one (and warned) instead of dropped; text after the version is not part of it (foo7 is 1.0).',
    packages: ['foo10@', 'foo11@1.0', 'foo12@1.0', 'foo13@1.0', 'foo14@1.0', 'foo15@', 'foo16-client@1.0', 'foo17-hash@1.0', 'foo18-client@1.0', 'foo1@1.0', 'foo2@1.0', 'foo3@1.0', 'foo4@1.0', 'foo5@1.0', 'foo6@1.0', 'foo7@1.0', 'foo8@1.0', 'foo9@1.0'],
  },
  'language__golang__gobinary/binary_with_module_replacement-linux-amd64 [binary_with_module_replacement-linux-amd64]': {
    reason: "The toolchain is reported as `stdlib` (the name Go's own advisories use for the standard library), not osv-scalibr's `go`.",
    packages: ['binary_with_module_replacement@(devel)', 'github.com/golang/xerrors@0.0.0-20220907171357-04be3eba64a2', 'stdlib@1.22.0'],
  },
  'language__golang__gomod/exclude indirect [indirect-packages.mod]': {
    reason: 'Vigil has no option to drop indirect requirements: indirect modules are compiled in and can be vulnerable, so all are reported (marked `indirect`).',
    packages: ['github.com/BurntSushi/toml@1.0.0', 'github.com/mattn/go-colorable@0.1.9', 'github.com/mattn/go-isatty@0.0.14', 'golang.org/x/sys@0.0.0-20210630005230-0f9fa26af87c', 'gopkg.in/yaml.v2@2.4.0', 'stdlib@1.17'],
  },
  'language__golang__gomod/exclude indirect with go.sum [indirect-1.16.mod]': {
    reason: 'As above: indirect modules (here from go.sum, Go 1.16) are always reported.',
    packages: ['github.com/davecgh/go-spew@1.1.1', 'github.com/pmezard/go-difflib@1.0.0', 'github.com/sirupsen/logrus@1.9.3', 'github.com/stretchr/testify@1.7.0', 'golang.org/x/sys@0.0.0-20220715151400-c0bba94af5f8', 'gopkg.in/yaml.v3@3.0.0-20200313102051-9f266ea9e77c', 'stdlib@1.16'],
  },
  'language__java__pomxml/interpolation [interpolation.xml]': {
    reason:
      'A version range ([9.4.35.v20201120,9.5)) is not a version: Maven picks the newest release in range at build time. osv-scalibr takes the lower bound; Vigil reports no version and warns.',
    packages: ['org.mine:my.package@2.3.4', 'org.mine:mypackage@1.0.0', 'org.mine:ranged-package@'],
  },
  'language__javascript__pnpmlock/mixed groups [mixed-groups.v9.yaml]': {
    reason: 'is-number is only in devDependencies: Vigil marks it dev from the v9 importers; osv-scalibr does not mark dev in v9.',
    ignoreDev: true,
  },
};

interface ExpectedPackage {
  Name?: string;
  Version?: string | null;
  'Metadata.DepGroupVals'?: string[];
}

interface ExpectedCase {
  upstream: { test_case: string };
  fixture_local: string | null;
  faithful: boolean;
  packages: ExpectedPackage[] | null;
}

function key(ecosystem: string, name: string, version: string): string {
  return `${normalizePackageName(ecosystem, name)}@${version}`;
}

for (const [stem, format] of Object.entries(FORMATS)) {
  const cases = JSON.parse(readFileSync(join(testdata, 'extraction/expected/osv-scalibr', `${stem}.json`), 'utf8')) as ExpectedCase[];
  describe(`osv-scalibr ${stem} via ${format.extractor.id}`, () => {
    for (const c of cases) {
      if (!c.faithful || !c.fixture_local) continue;
      const id = `${stem}/${c.upstream.test_case} [${basename(c.fixture_local)}]`;
      const difference = DIFFERENCES[id] ?? DIFFERENCES[`${stem}/*`];
      it(c.upstream.test_case, async () => {
        const fixture = join(testdata, c.fixture_local as string);
        const run = await runExtractor(format.extractor, fixture, {
          targetPath: format.targetPath(fixture),
          siblings: format.siblings?.(fixture),
          requireMatch: format.requireMatch,
        });
        const expectedPkgs = c.packages ?? [];
        const want = difference?.packages ? [...difference.packages].sort() : expectedPkgs.map((p) => key(format.ecosystem, p.Name ?? '', p.Version ?? '')).sort();
        if (run.error) {
          // A file that cannot be read is an error naming the file, never a crash or a silent success with data.
          expect(want, `unexpected error: ${run.error.message}`).toEqual([]);
          expect(run.error.message).toContain(format.targetPath(fixture));
          return;
        }
        const got = run.packages.map((p: FoundPackage) => key(format.ecosystem, p.name, p.version)).sort();
        expect(got).toEqual(want);
        for (const p of run.packages) {
          expect(p.ecosystem).toBe(format.ecosystem);
          expect(p.purlType).toBeTruthy();
        }
        if (difference?.packages || difference?.ignoreDev) return;
        // Dev marking: every package osv-scalibr puts in the dev group is dev in Vigil, and vice versa.
        const wantDev = expectedPkgs
          .filter((p) => (format.devGroups ?? ['dev']).some((g) => p['Metadata.DepGroupVals']?.includes(g)))
          .map((p) => key(format.ecosystem, p.Name ?? '', p.Version ?? ''))
          .sort();
        const gotDev = run.packages.filter((p) => p.dev).map((p) => key(format.ecosystem, p.name, p.version)).sort();
        expect(gotDev).toEqual(wantDev);
      });
    }
  });
}
