/**
 * One table of small scenarios per language format, beside the osv-scalibr cases: formats
 * osv-scalibr has no expectations for, Vigil's policies (dev marking, installed metadata,
 * newer format versions) and bad input (malformed files, enormous files), each with the
 * whole result compared.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depsJson } from '../../../src/inventory/extractors/dotnet/deps-json.js';
import { packagesLockJson } from '../../../src/inventory/extractors/dotnet/packages-lock-json.js';
import { pubspecLock } from '../../../src/inventory/extractors/dart/pubspec-lock.js';
import { mixLock } from '../../../src/inventory/extractors/elixir/mix-lock.js';
import { goBinary } from '../../../src/inventory/extractors/go/go-binary.js';
import { gradleLockfile } from '../../../src/inventory/extractors/java/gradle-lockfile.js';
import { pomXml } from '../../../src/inventory/extractors/java/pom-xml.js';
import { bunLock } from '../../../src/inventory/extractors/javascript/bun-lock.js';
import { nodeModules } from '../../../src/inventory/extractors/javascript/node-modules.js';
import { packageLockJson } from '../../../src/inventory/extractors/javascript/package-lock-json.js';
import { pnpmLock } from '../../../src/inventory/extractors/javascript/pnpm-lock.js';
import { yarnLock } from '../../../src/inventory/extractors/javascript/yarn-lock.js';
import { composerInstalled } from '../../../src/inventory/extractors/php/installed-json.js';
import { pdmLock } from '../../../src/inventory/extractors/python/pdm-lock.js';
import { pipfileLock } from '../../../src/inventory/extractors/python/pipfile-lock.js';
import { poetryLock } from '../../../src/inventory/extractors/python/poetry-lock.js';
import { pythonInstalled } from '../../../src/inventory/extractors/python/installed.js';
import { requirementsTxt } from '../../../src/inventory/extractors/python/requirements-txt.js';
import { uvLock } from '../../../src/inventory/extractors/python/uv-lock.js';
import { gemfileLock } from '../../../src/inventory/extractors/ruby/gemfile-lock.js';
import { gemspec } from '../../../src/inventory/extractors/ruby/gemspec.js';
import { cargoLock } from '../../../src/inventory/extractors/rust/cargo-lock.js';
import type { Extractor } from '../../../src/inventory/types.js';
import { runExtractor } from '../../helpers/extractor-harness.js';

interface Scenario {
  name: string;
  extractor: Extractor;
  /** Path inside the target. */
  path: string;
  content: string;
  /** name@version, sorted. */
  want?: string[];
  /** name@version of the packages marked dev. */
  dev?: string[];
  warn?: RegExp;
  error?: RegExp;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'installed scoped npm package',
    extractor: nodeModules,
    path: '/app/node_modules/@babel/core/package.json',
    content: JSON.stringify({ name: '@babel/core', version: '7.24.0', description: 'x' }),
    want: ['@babel/core@7.24.0'],
  },
  {
    name: 'package.json without a version is not an installed package',
    extractor: nodeModules,
    path: '/app/node_modules/stub/package.json',
    content: '{"name":"stub"}',
    want: [],
  },
  {
    name: 'installed package.json that is not JSON',
    extractor: nodeModules,
    path: '/app/node_modules/broken/package.json',
    content: '{"name": "broken",',
    error: /^\/app\/node_modules\/broken\/package\.json: not valid JSON/,
  },
  {
    name: 'package-lock from a newer lockfileVersion is read with a warning',
    extractor: packageLockJson,
    path: '/app/package-lock.json',
    content: JSON.stringify({ lockfileVersion: 4, packages: { '': {}, 'node_modules/a': { version: '1.0.0', dev: true }, 'node_modules/b': { version: '2.0.0' } } }),
    want: ['a@1.0.0', 'b@2.0.0'],
    dev: ['a@1.0.0'],
    warn: /lockfileVersion 4 is newer than 3/,
  },
  {
    name: 'package-lock whose packages are not objects',
    extractor: packageLockJson,
    path: '/app/package-lock.json',
    content: JSON.stringify({ lockfileVersion: 3, packages: ['x'] }),
    error: /^\/app\/package-lock\.json: not a package-lock\.json/,
  },
  {
    name: 'pnpm lockfile v9 marks packages reachable only from devDependencies',
    extractor: pnpmLock,
    path: '/app/pnpm-lock.yaml',
    content: [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      a: {specifier: ^1.0.0, version: 1.0.0}',
      '    devDependencies:',
      '      d: {specifier: ^2.0.0, version: 2.0.0}',
      'packages:',
      '  a@1.0.0: {resolution: {integrity: x}}',
      '  shared@3.0.0: {resolution: {integrity: x}}',
      '  d@2.0.0: {resolution: {integrity: x}}',
      '  dtool@4.0.0: {resolution: {integrity: x}}',
      'snapshots:',
      '  a@1.0.0: {dependencies: {shared: 3.0.0}}',
      '  shared@3.0.0: {}',
      '  d@2.0.0: {dependencies: {shared: 3.0.0, dtool: 4.0.0}}',
      '  dtool@4.0.0: {}',
    ].join('\n'),
    want: ['a@1.0.0', 'd@2.0.0', 'dtool@4.0.0', 'shared@3.0.0'],
    dev: ['d@2.0.0', 'dtool@4.0.0'],
  },
  {
    name: 'pnpm lockfile from a newer major version',
    extractor: pnpmLock,
    path: '/app/pnpm-lock.yaml',
    content: "lockfileVersion: '10.0'\npackages:\n  a@1.0.0: {resolution: {integrity: x}}\n",
    want: ['a@1.0.0'],
    warn: /lockfileVersion 10\.0 is newer than 9/,
  },
  {
    name: 'yarn berry lockfile that is not YAML',
    extractor: yarnLock,
    path: '/app/yarn.lock',
    content: '__metadata:\n  version: 8\n"a@npm:1": [unclosed\n',
    error: /^\/app\/yarn\.lock: not valid YAML/,
  },
  {
    name: 'bun.lock from a newer lockfileVersion',
    extractor: bunLock,
    path: '/app/bun.lock',
    content: '{ "lockfileVersion": 2, "packages": { "a": ["a@1.2.3", "", {}, "sha512-x"], }, }',
    want: ['a@1.2.3'],
    warn: /lockfileVersion 2 is newer than 1/,
  },
  {
    name: 'bun.lock: packages reachable only from devDependencies are dev, resolved as Bun hoists',
    extractor: bunLock,
    path: '/app/bun.lock',
    content: JSON.stringify({
      lockfileVersion: 1,
      workspaces: { '': { name: 'app', dependencies: { 'supports-color': '^5' }, devDependencies: { chalk: '^4' } } },
      packages: {
        chalk: ['chalk@4.1.2', '', { dependencies: { 'supports-color': '^7' } }, 'sha512-x'],
        'supports-color': ['supports-color@5.5.0', '', { dependencies: { 'has-flag': '^3' } }, 'sha512-x'],
        'has-flag': ['has-flag@3.0.0', '', {}, 'sha512-x'],
        'chalk/supports-color': ['supports-color@7.2.0', '', { dependencies: { 'has-flag': '^4' } }, 'sha512-x'],
        'chalk/supports-color/has-flag': ['has-flag@4.0.0', '', {}, 'sha512-x'],
      },
    }),
    want: ['chalk@4.1.2', 'has-flag@3.0.0', 'has-flag@4.0.0', 'supports-color@5.5.0', 'supports-color@7.2.0'],
    dev: ['chalk@4.1.2', 'has-flag@4.0.0', 'supports-color@7.2.0'],
  },
  {
    name: 'dist-info METADATA with a folded header and a body',
    extractor: pythonInstalled,
    path: '/usr/local/lib/python3.11/site-packages/Flask_Login-0.6.3.dist-info/METADATA',
    content: 'Metadata-Version: 2.1\nName: Flask_Login\nVersion: 0.6.3\nSummary: User session\n  management\n\nName: not-this\n',
    want: ['flask-login@0.6.3'],
  },
  {
    name: 'single-file egg-info in dist-packages',
    extractor: pythonInstalled,
    path: '/usr/lib/python3/dist-packages/six-1.16.0.egg-info',
    content: 'Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\n',
    want: ['six@1.16.0'],
  },
  {
    name: 'METADATA without a version',
    extractor: pythonInstalled,
    path: '/usr/lib/python3/dist-packages/x-1.dist-info/METADATA',
    content: 'Metadata-Version: 2.1\nName: x\n',
    error: /x-1\.dist-info\/METADATA: core metadata has no Name or Version/,
  },
  {
    name: 'requirements-dev.txt lists development packages; unpinned ones are warned about',
    extractor: requirementsTxt,
    path: '/src/requirements-dev.txt',
    content: 'pytest==8.0.0\nblack>=24\n-r requirements.txt\n',
    want: ['black@', 'pytest@8.0.0'],
    dev: ['black@', 'pytest@8.0.0'],
    warn: /1 requirement\(s\) not pinned with ==.*black/,
  },
  {
    name: 'poetry.lock that is not TOML',
    extractor: poetryLock,
    path: '/src/poetry.lock',
    content: '[[package]\nname = "x"\n',
    error: /^\/src\/poetry\.lock: not valid TOML/,
  },
  {
    name: 'Pipfile.lock package in both sections is production',
    extractor: pipfileLock,
    path: '/src/Pipfile.lock',
    content: JSON.stringify({ _meta: { 'pipfile-spec': 6 }, default: { six: { version: '==1.16.0' } }, develop: { six: { version: '==1.16.0' }, pytest: { version: '==8.0.0' } } }),
    want: ['pytest@8.0.0', 'six@1.16.0'],
    dev: ['pytest@8.0.0'],
  },
  {
    name: 'uv.lock: the project is not a dependency; dev-dependencies are dev',
    extractor: uvLock,
    path: '/src/uv.lock',
    content: [
      'version = 1',
      '[[package]]',
      'name = "app"',
      'version = "0.1.0"',
      'source = { editable = "." }',
      'dependencies = [{ name = "requests" }]',
      '[package.dev-dependencies]',
      'dev = [{ name = "pytest" }]',
      '[[package]]',
      'name = "requests"',
      'version = "2.32.3"',
      'source = { registry = "https://pypi.org/simple" }',
      '[[package]]',
      'name = "pytest"',
      'version = "8.3.0"',
      'source = { registry = "https://pypi.org/simple" }',
    ].join('\n'),
    want: ['pytest@8.3.0', 'requests@2.32.3'],
    dev: ['pytest@8.3.0'],
  },
  {
    name: 'pdm.lock groups',
    extractor: pdmLock,
    path: '/src/pdm.lock',
    content: '[metadata]\nlock_version = "4.5.0"\n[[package]]\nname = "Requests"\nversion = "2.32.3"\ngroups = ["default"]\n[[package]]\nname = "pytest"\nversion = "8.3.0"\ngroups = ["dev"]\n',
    want: ['pytest@8.3.0', 'requests@2.32.3'],
    dev: ['pytest@8.3.0'],
  },
  {
    name: 'gradle.lockfile: test-only configurations are dev',
    extractor: gradleLockfile,
    path: '/src/gradle.lockfile',
    content: '# Gradle lockfile\ncom.google.guava:guava:33.0.0-jre=compileClasspath,runtimeClasspath\njunit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\nbroken-line\nempty=annotationProcessor\n',
    want: ['com.google.guava:guava@33.0.0-jre', 'junit:junit@4.13.2'],
    dev: ['junit:junit@4.13.2'],
    warn: /1 line\(s\) are not group:artifact:version/,
  },
  {
    name: 'pom.xml with a project.version property and a test scope',
    extractor: pomXml,
    path: '/src/pom.xml',
    content:
      '<project><groupId>g</groupId><artifactId>a</artifactId><version>1.2.0</version><dependencies>' +
      '<dependency><groupId>g</groupId><artifactId>core</artifactId><version>${project.version}</version></dependency>' +
      '<dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>' +
      '</dependencies></project>',
    want: ['g:core@1.2.0', 'junit:junit@4.13.2'],
    dev: ['junit:junit@4.13.2'],
  },
  {
    // ${p0} → 100×${p1} → … → a million characters (one level more is gigabytes): the
    // expansion stops at its bound, the dependency is reported without a version, the rest read.
    name: 'pom.xml whose nested properties expand without bound',
    extractor: pomXml,
    path: '/src/pom.xml',
    content:
      '<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><properties>' +
      [0, 1, 2].map((i) => `<p${i}>${`\${p${i + 1}}`.repeat(100)}</p${i}>`).join('') +
      '<p3>x</p3></properties><dependencies>' +
      '<dependency><groupId>g</groupId><artifactId>bomb</artifactId><version>${p0}</version></dependency>' +
      '<dependency><groupId>g</groupId><artifactId>ok</artifactId><version>1.0</version></dependency>' +
      '</dependencies></project>',
    want: ['g:bomb@', 'g:ok@1.0'],
    warn: /property interpolation of \$\{p0\} expands past 4096 characters \(nested \$\{…\} references: an expansion bomb\?\); left unresolved/,
  },
  {
    name: 'Cargo.lock from a newer version',
    extractor: cargoLock,
    path: '/src/Cargo.lock',
    content: 'version = 9\n[[package]]\nname = "serde"\nversion = "1.0.200"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n',
    want: ['serde@1.0.200'],
    warn: /lockfile version 9 is newer than 4/,
  },
  {
    name: 'Gemfile.lock: platform suffixes are not versions; GIT gems carry their revision',
    extractor: gemfileLock,
    path: '/src/Gemfile.lock',
    content: [
      'GIT',
      '  remote: https://github.com/x/mygem.git',
      '  revision: 0123456789abcdef0123456789abcdef01234567',
      '  specs:',
      '    mygem (0.1.0)',
      '',
      'GEM',
      '  remote: https://rubygems.org/',
      '  specs:',
      '    grpc (1.60.0-x86_64-linux)',
      '    nokogiri (1.16.0-arm64-darwin)',
      '      racc (~> 1.4)',
      '    racc (1.7.3)',
      '    rails (7.1.0.rc1)',
      '',
      'PLATFORMS',
      '  x86_64-linux',
      '',
      'BUNDLED WITH',
      '   2.5.3',
    ].join('\n'),
    want: ['grpc@1.60.0', 'mygem@0.1.0', 'nokogiri@1.16.0', 'racc@1.7.3', 'rails@7.1.0.rc1'],
  },
  {
    name: 'installed gemspec',
    extractor: gemspec,
    path: '/usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.4.gemspec',
    content: '# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = "rack".freeze\n  s.version = "2.2.4"\nend\n',
    want: ['rack@2.2.4'],
  },
  {
    name: 'Composer 2 installed.json marks dev packages',
    extractor: composerInstalled,
    path: '/var/www/vendor/composer/installed.json',
    content: JSON.stringify({ packages: [{ name: 'Symfony/Console', version: 'v6.4.1' }, { name: 'phpunit/phpunit', version: '10.5.0' }], dev: true, 'dev-package-names': ['phpunit/phpunit'] }),
    want: ['phpunit/phpunit@10.5.0', 'symfony/console@v6.4.1'],
    dev: ['phpunit/phpunit@10.5.0'],
  },
  {
    name: 'packages.lock.json: projects are not packages; one package across frameworks',
    extractor: packagesLockJson,
    path: '/src/packages.lock.json',
    content: JSON.stringify({
      version: 1,
      dependencies: {
        'net6.0': { 'Newtonsoft.Json': { type: 'Direct', resolved: '13.0.3' }, MyLib: { type: 'Project' } },
        'net8.0': { 'Newtonsoft.Json': { type: 'Direct', resolved: '13.0.3' } },
      },
    }),
    want: ['Newtonsoft.Json@13.0.3'],
  },
  {
    name: 'deps.json: only NuGet packages',
    extractor: depsJson,
    path: '/app/MyApp.deps.json',
    content: JSON.stringify({ libraries: { 'MyApp/1.0.0': { type: 'project' }, 'Serilog/3.1.1': { type: 'package' } } }),
    want: ['Serilog@3.1.1'],
  },
  {
    name: 'pubspec.lock: SDK packages skipped, direct dev marked',
    extractor: pubspecLock,
    path: '/src/pubspec.lock',
    content: [
      'packages:',
      '  http:',
      '    dependency: "direct main"',
      '    source: hosted',
      '    version: "1.2.0"',
      '  flutter:',
      '    dependency: "direct main"',
      '    source: sdk',
      '    version: "0.0.0"',
      '  lints:',
      '    dependency: "direct dev"',
      '    source: hosted',
      '    version: "3.0.0"',
    ].join('\n'),
    want: ['http@1.2.0', 'lints@3.0.0'],
    dev: ['lints@3.0.0'],
  },
  {
    name: 'mix.lock hex and git entries',
    extractor: mixLock,
    path: '/src/mix.lock',
    content:
      '%{\n  "plug": {:hex, :plug, "1.15.3", "abc", [:mix], [], "hexpm", "def"},\n  "mydep": {:git, "https://github.com/x/mydep.git", "0123456789abcdef0123456789abcdef01234567", []},\n}\n',
    want: ['mydep@', 'plug@1.15.3'],
  },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-lang-formats-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('language format scenarios', () => {
  SCENARIOS.forEach((s, i) => {
    it(s.name, async () => {
      const disk = join(dir, `case-${i}`);
      await writeFile(disk, s.content);
      const r = await runExtractor(s.extractor, disk, { targetPath: s.path });
      if (s.error) {
        expect(r.error?.message).toMatch(s.error);
        return;
      }
      expect(r.error).toBeUndefined();
      expect(r.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(s.want);
      expect(r.packages.filter((p) => p.dev).map((p) => `${p.name}@${p.version}`).sort()).toEqual(s.dev ?? []);
      if (s.warn) expect(r.warnings.join('\n')).toMatch(s.warn);
      else expect(r.warnings).toEqual([]);
      for (const p of r.packages) expect(p.ecosystem).toBeTruthy();
    });
  });

  it('refuses an enormous lockfile before reading it, naming the file', async () => {
    const disk = join(dir, 'huge-package-lock.json');
    await writeFile(disk, '');
    await truncate(disk, 65 * 1024 * 1024);
    const r = await runExtractor(packageLockJson, disk, { targetPath: '/app/package-lock.json' });
    expect(r.error?.message).toMatch(/^\/app\/package-lock\.json: file too large \(68157440 bytes, limit 67108864\)/);
  });
});

describe('installed metadata wins over the lockfile', () => {
  it('takes the version installed beside package-lock.json when they disagree', async () => {
    const lock = join(dir, 'disagree-package-lock.json');
    const installed = join(dir, 'disagree-installed-package.json');
    await writeFile(lock, JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/a': { version: '1.0.0' }, 'node_modules/b': { version: '2.0.0' } } }));
    await writeFile(installed, JSON.stringify({ name: 'a', version: '1.0.1' }));
    const r = await runExtractor(packageLockJson, lock, {
      targetPath: '/app/package-lock.json',
      siblings: { '/app/node_modules/a/package.json': installed },
    });
    expect(r.error).toBeUndefined();
    expect(r.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['a@1.0.1', 'b@2.0.0']);
    expect(r.packages.find((p) => p.name === 'a')?.metadata).toEqual({ lockedVersion: '1.0.0' });
  });
});

describe('Go build info stored the pre-1.18 way (pointers into the data section)', () => {
  /**
   * A minimal ELF64 file laid out as Go ≤ 1.17 linkers write it: the `\xff Go buildinf:`
   * header followed by two pointers to Go string headers, which point at the strings. Built
   * by hand because Debian 12 ships no Go toolchain that old.
   */
  function oldGoElf(goVersion: string, modinfo: string): Buffer {
    const buf = Buffer.alloc(4096);
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(buf, 0);
    const base = 0x400000;
    const data = 0x200;
    const vaddr = (off: number) => base + off;
    Buffer.from('\xff Go buildinf:', 'latin1').copy(buf, data);
    buf[data + 14] = 8;
    buf[data + 15] = 0;
    buf.writeBigUInt64LE(BigInt(vaddr(0x240)), data + 16);
    buf.writeBigUInt64LE(BigInt(vaddr(0x250)), data + 24);
    const sentinel = Buffer.alloc(16, 0x30);
    const mod = Buffer.concat([sentinel, Buffer.from(modinfo), sentinel]);
    buf.write(goVersion, 0x260, 'latin1');
    mod.copy(buf, 0x280);
    buf.writeBigUInt64LE(BigInt(vaddr(0x260)), 0x240);
    buf.writeBigUInt64LE(BigInt(goVersion.length), 0x248);
    buf.writeBigUInt64LE(BigInt(vaddr(0x280)), 0x250);
    buf.writeBigUInt64LE(BigInt(mod.length), 0x258);
    // Section headers at 0x800: a null section, then the data section.
    const shoff = 0x800;
    buf.writeBigUInt64LE(BigInt(shoff), 0x28);
    buf.writeUInt16LE(64, 0x3a);
    buf.writeUInt16LE(2, 0x3c);
    const sh = shoff + 64;
    buf.writeBigUInt64LE(BigInt(vaddr(0)), sh + 0x10);
    buf.writeBigUInt64LE(0n, sh + 0x18);
    buf.writeBigUInt64LE(0x800n, sh + 0x20);
    return buf;
  }

  it('follows the pointers to the version and module information', async () => {
    const disk = join(dir, 'old-go-program');
    const modinfo = 'path\texample.com/old\nmod\texample.com/old\tv1.0.0\t\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:x\n';
    await writeFile(disk, oldGoElf('go1.16.15', modinfo));
    const r = await runExtractor(goBinary, disk, { targetPath: '/usr/local/bin/old', requireMatch: false });
    expect(r.error).toBeUndefined();
    expect(r.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['example.com/old@1.0.0', 'github.com/pkg/errors@0.9.1', 'stdlib@1.16.15']);
  });
});

describe('yarn.lock dev marking from the package.json beside it', () => {
  const manifest = JSON.stringify({ name: 'app', dependencies: { 'supports-color': '^5.0.0' }, devDependencies: { chalk: '^4.0.0' } });
  it.each([
    [
      'classic (v1)',
      [
        '# yarn lockfile v1',
        '',
        'chalk@^4.0.0:',
        '  version "4.1.2"',
        '  dependencies:',
        '    ansi-styles "^4.1.0"',
        '    supports-color "^7.1.0"',
        '',
        'ansi-styles@^4.1.0:',
        '  version "4.3.0"',
        '',
        'supports-color@^5.0.0:',
        '  version "5.5.0"',
        '',
        'supports-color@^7.1.0:',
        '  version "7.2.0"',
        '',
      ].join('\n'),
    ],
    [
      'berry',
      [
        '__metadata:',
        '  version: 8',
        '',
        '"chalk@npm:^4.0.0":',
        '  version: 4.1.2',
        '  resolution: "chalk@npm:4.1.2"',
        '  dependencies:',
        '    ansi-styles: "npm:^4.1.0"',
        '    supports-color: "npm:^7.1.0"',
        '',
        '"ansi-styles@npm:^4.1.0":',
        '  version: 4.3.0',
        '  resolution: "ansi-styles@npm:4.3.0"',
        '',
        '"supports-color@npm:^5.0.0":',
        '  version: 5.5.0',
        '  resolution: "supports-color@npm:5.5.0"',
        '',
        '"supports-color@npm:^7.1.0":',
        '  version: 7.2.0',
        '  resolution: "supports-color@npm:7.2.0"',
        '',
        '"app@workspace:.":',
        '  version: 0.0.0-use.local',
        '  resolution: "app@workspace:."',
        '',
      ].join('\n'),
    ],
  ])('%s', async (label, lock) => {
    const lockPath = join(dir, `yarn-${label.replace(/\W+/g, '-')}.lock`);
    const pkgPath = join(dir, `yarn-${label.replace(/\W+/g, '-')}-package.json`);
    await writeFile(lockPath, lock);
    await writeFile(pkgPath, manifest);
    const r = await runExtractor(yarnLock, lockPath, { targetPath: '/app/yarn.lock', siblings: { '/app/package.json': pkgPath } });
    expect(r.error).toBeUndefined();
    expect(r.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['ansi-styles@4.3.0', 'chalk@4.1.2', 'supports-color@5.5.0', 'supports-color@7.2.0']);
    expect(r.packages.filter((p) => p.dev).map((p) => `${p.name}@${p.version}`).sort()).toEqual(['ansi-styles@4.3.0', 'chalk@4.1.2', 'supports-color@7.2.0']);
    // Without the package.json nothing can be told apart, and nothing is marked.
    const alone = await runExtractor(yarnLock, lockPath, { targetPath: '/app/yarn.lock' });
    expect(alone.packages.some((p) => p.dev)).toBe(false);
  });
});
