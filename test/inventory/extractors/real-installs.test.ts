/**
 * Language extractors against real installs, compared with the ecosystems' own tools:
 * npm (`npm ci` + `npm ls`), Debian's python3-* packages (Python's importlib.metadata),
 * a Go program built here (`go version -m`), JARs built here with javac and jar, and a
 * cargo-auditable section added to a real ELF with objcopy.
 */
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanTarget } from '../../../src/inventory/index.js';
import { requireComponent } from '../../helpers/components.js';
import { goBinary } from '../../../src/inventory/extractors/go/go-binary.js';
import { goMod } from '../../../src/inventory/extractors/go/go-mod.js';
import { javaArchive } from '../../../src/inventory/extractors/java/archive.js';
import { nodeModules } from '../../../src/inventory/extractors/javascript/node-modules.js';
import { packageLockJson } from '../../../src/inventory/extractors/javascript/package-lock-json.js';
import { pythonInstalled } from '../../../src/inventory/extractors/python/installed.js';
import { cargoAuditable } from '../../../src/inventory/extractors/rust/cargo-auditable.js';
import type { Extractor, FoundPackage, ScanWarning } from '../../../src/inventory/types.js';
import { sharedDir } from '../../helpers/cli.js';
import { runExtractor } from '../../helpers/extractor-harness.js';
import { cached, listFiles, sh } from './lang-workdir.js';
import { imageFromRootfs } from '../../helpers/images.js';
import { deflateSync } from 'node:zlib';

/** Runs an extractor over every file of a tree it asks for, as the walker would. */
async function extractTree(extractor: Extractor, root: string): Promise<{ packages: FoundPackage[]; warnings: string[]; errors: string[] }> {
  const packages: FoundPackage[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const f of await listFiles(root)) {
    if (!extractor.fileRequired(f.rel, f.size)) continue;
    const r = await runExtractor(extractor, f.abs, { targetPath: f.rel });
    packages.push(...r.packages);
    warnings.push(...r.warnings);
    if (r.error) errors.push(r.error.message);
  }
  return { packages, warnings, errors };
}

function nv(pkgs: readonly FoundPackage[]): string[] {
  return [...new Set(pkgs.map((p) => `${p.name}@${p.version}`))].sort();
}

/** An npm project installed with `npm ci` from the demo lockfile. */
async function npmProject(): Promise<string> {
  return cached('npm-demo', async (dir) => {
    const demo = join(sharedDir, 'vulndata/demo/npm-project');
    await copyFile(join(demo, 'package.json'), join(dir, 'package.json'));
    await copyFile(join(demo, 'package-lock.json'), join(dir, 'package-lock.json'));
    await sh('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  });
}

describe('npm: npm ci of the demo project', () => {
  // Expensive setup runs in a hook (hooks may take minutes; tests should not).
  beforeAll(async () => {
    await npmProject();
  });
  it('finds in node_modules exactly the name@version set `npm ls --all --json` reports', async () => {
    const dir = await npmProject();
    const ls = JSON.parse(await sh('npm', ['ls', '--all', '--json'], { cwd: dir })) as { dependencies?: Record<string, LsNode> };
    interface LsNode {
      version?: string;
      dependencies?: Record<string, LsNode>;
    }
    const want = new Set<string>();
    const visit = (deps: Record<string, LsNode> | undefined) => {
      for (const [name, node] of Object.entries(deps ?? {})) {
        if (node.version) want.add(`${name}@${node.version}`);
        visit(node.dependencies);
      }
    };
    visit(ls.dependencies);
    const got = await extractTree(nodeModules, dir);
    expect(got.errors).toEqual([]);
    expect(want.size).toBeGreaterThan(50);
    expect(nv(got.packages)).toEqual([...want].sort());
    // Scoped packages keep their scope in the name and carry it as the namespace.
    const scoped = got.packages.find((p) => p.name.startsWith('@'));
    expect(scoped?.namespace).toBe(scoped?.name.slice(1, scoped.name.indexOf('/')));
  });

  it('reads the same set from the lockfile as from the installed tree', async () => {
    const dir = await npmProject();
    const installed = await extractTree(nodeModules, dir);
    const lock = await runExtractor(packageLockJson, join(dir, 'package-lock.json'), { targetPath: '/app/package-lock.json' });
    expect(lock.error).toBeUndefined();
    expect(nv(lock.packages)).toEqual(nv(installed.packages));
  });

  it('skips lockfiles inside node_modules, where installed package.json files are the truth', () => {
    expect(packageLockJson.fileRequired('/app/node_modules/foo/package-lock.json')).toBe(false);
    expect(packageLockJson.fileRequired('/app/package-lock.json')).toBe(true);
    expect(nodeModules.fileRequired('/app/node_modules/foo/package.json')).toBe(true);
    expect(nodeModules.fileRequired('/app/node_modules/@s/foo/package.json')).toBe(true);
    // A package.json deeper inside a package (test fixtures, `exports` stubs) is not an installed package.
    expect(nodeModules.fileRequired('/app/node_modules/foo/lib/package.json')).toBe(false);
  });
});

const DEBIAN_PYTHON = ['python3-requests', 'python3-urllib3', 'python3-idna', 'python3-certifi', 'python3-chardet', 'python3-six', 'python3-packaging'];

describe("Python: Debian's python3-* packages", () => {
  const debianPython = () =>
    cached('debian-python', async (dir) => {
      const debs = join(dir, 'debs');
      await mkdir(debs);
      await sh('apt-get', ['download', '-q', ...DEBIAN_PYTHON], { cwd: debs });
      const tree = join(dir, 'root');
      await mkdir(tree);
      for (const f of await listFiles(debs)) await sh('dpkg-deb', ['-x', f.abs, tree]);
    });
  beforeAll(async () => {
    requireComponent('python3', 'dpkg-deb');
    await debianPython();
  });

  it('reads every distribution importlib.metadata reads, with the same name and version', async () => {
    const tree = join(await debianPython(), 'root');
    const got = await extractTree(pythonInstalled, tree);
    expect(got.errors).toEqual([]);
    const sitePackages = join(tree, 'usr/lib/python3/dist-packages');
    const script = 'import importlib.metadata as m, sys\nfor d in m.distributions(path=[sys.argv[1]]): print(d.metadata["Name"], d.version)';
    const want = (await sh('python3', ['-c', script, sitePackages]))
      .trim()
      .split('\n')
      .map((l) => {
        const [name, version] = l.split(' ');
        return `${name.toLowerCase().replace(/[-_.]+/g, '-')}@${version}`;
      })
      .sort();
    expect(want.length).toBeGreaterThanOrEqual(DEBIAN_PYTHON.length);
    expect(nv(got.packages)).toEqual(want);
    // Locations are the real file paths, so the builder can find the owning .deb from dpkg's file lists.
    const files = (await listFiles(tree)).map((f) => f.rel);
    for (const p of got.packages) expect(p.ecosystem).toBe('PyPI');
    expect(files.some((f) => /\/dist-packages\/requests-[^/]+\.egg-info\/PKG-INFO$/.test(f) || /\/dist-packages\/requests-[^/]+\.dist-info\/METADATA$/.test(f))).toBe(true);
  });
});

describe('Go: a program built here with the toolchain', () => {
  const goEnv = { GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOPATH: '', GOCACHE: '' };
  async function program(): Promise<string> {
    return cached('go-program-v2', async (dir) => {
      // A local module replaced in go.mod, so build info has a dependency and a replacement.
      await mkdir(join(dir, 'greet'));
      await writeFile(join(dir, 'greet/go.mod'), 'module example.com/greet\n\ngo 1.19\n');
      await writeFile(join(dir, 'greet/greet.go'), 'package greet\n\nfunc Hello() string { return "hello" }\n');
      await writeFile(
        join(dir, 'go.mod'),
        'module example.com/vigiltest\n\ngo 1.19\n\nrequire example.com/greet v0.1.0\n\nreplace example.com/greet => ./greet\n',
      );
      await writeFile(join(dir, 'main.go'), 'package main\n\nimport (\n\t"fmt"\n\t"example.com/greet"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n');
      const env = { ...goEnv, GOPATH: join(dir, '.gopath'), GOCACHE: join(dir, '.gocache') };
      await sh('go', ['build', '-o', 'vigiltest', '.'], { cwd: dir, env });
      // The same program as PE and Mach-O: the build info is found the same way in every format.
      await sh('go', ['build', '-o', 'vigiltest.exe', '.'], { cwd: dir, env: { ...env, GOOS: 'windows' } });
      await sh('go', ['build', '-o', 'vigiltest-darwin', '.'], { cwd: dir, env: { ...env, GOOS: 'darwin', GOARCH: 'arm64' } });
      await sh('go', ['clean', '-cache'], { cwd: dir, env }).catch(() => '');
    });
  }

  beforeAll(async () => {
    requireComponent('go', 'objcopy');
    await program();
  });

  it('reads what `go version -m` prints: main module, dependency with replacement, toolchain as stdlib', async () => {
    const dir = await program();
    const bin = join(dir, 'vigiltest');
    const out = await sh('go', ['version', '-m', bin], { env: goEnv });
    const lines = out.split('\n').map((l) => l.trim().split(/\s+/));
    const goVersion = lines[0][1].replace(/^go/, '');
    const want = new Set<string>([`stdlib@${goVersion}`]);
    for (const f of lines) {
      if (f[0] === 'mod') want.add(`${f[1]}@${f[2]}`);
      if (f[0] === 'dep') want.add(`${f[1]}@${f[2].replace(/^v/, '')}`);
    }
    const r = await runExtractor(goBinary, bin, { targetPath: '/usr/local/bin/vigiltest' });
    expect(r.error).toBeUndefined();
    expect(nv(r.packages)).toEqual([...want].sort());
    expect(r.packages.find((p) => p.name === 'example.com/greet')?.metadata?.replacedBy).toBe('./greet');
    expect(r.packages.find((p) => p.name === 'example.com/vigiltest')?.metadata?.main).toBe('true');
  });

  it.each([
    ['PE', 'vigiltest.exe'],
    ['Mach-O', 'vigiltest-darwin'],
  ])('reads the same build info from a %s program', async (_format, file) => {
    const dir = await program();
    const elf = await runExtractor(goBinary, join(dir, 'vigiltest'), { targetPath: '/bin/vigiltest' });
    const other = await runExtractor(goBinary, join(dir, file), { targetPath: `/bin/${file}` });
    expect(other.error).toBeUndefined();
    expect(nv(other.packages)).toEqual(nv(elf.packages));
  });

  it('reads the go.mod the program was built from', async () => {
    const dir = await program();
    const r = await runExtractor(goMod, join(dir, 'go.mod'), { targetPath: '/src/go.mod' });
    expect(nv(r.packages)).toEqual(['./greet@', 'stdlib@1.19']);
  });

  it('finds Go programs by content, whatever their names: exec bits, or a bin folder', async () => {
    const dir = await program();
    const root = await mkdtemp(join(tmpdir(), 'vigil-go-names-'));
    try {
      // Names with dots, as kubectl and terraform providers ship: never read before.
      await mkdir(join(root, 'opt/kube'), { recursive: true });
      await copyFile(join(dir, 'vigiltest'), join(root, 'opt/kube/kubectl.1.33'));
      await chmod(join(root, 'opt/kube/kubectl.1.33'), 0o755);
      await mkdir(join(root, 'usr/local/bin/plugins'), { recursive: true });
      await copyFile(join(dir, 'vigiltest'), join(root, 'usr/local/bin/plugins/terraform-provider-aws_v5.100.0_x5'));
      await chmod(join(root, 'usr/local/bin/plugins/terraform-provider-aws_v5.100.0_x5'), 0o644);
      // Not programs: a dotted data file with no exec bit outside bin folders, and an
      // executable that is not Go (content decides, so it yields nothing).
      await mkdir(join(root, 'data'));
      await copyFile(join(dir, 'vigiltest'), join(root, 'data/vigiltest.snapshot'));
      await chmod(join(root, 'data/vigiltest.snapshot'), 0o644);
      await copyFile('/bin/ls', join(root, 'opt/kube/ls.real'));
      await chmod(join(root, 'opt/kube/ls.real'), 0o755);
      const inv = await scanTarget(`dir:${root}`);
      const stdlib = inv.packages.filter((p) => p.name === 'stdlib').map((p) => p.locations.join(',')).sort();
      expect(stdlib).toEqual(['/opt/kube/kubectl.1.33', '/usr/local/bin/plugins/terraform-provider-aws_v5.100.0_x5']);
      expect(inv.warnings.filter((w) => w.extractor !== 'os/os-release@1')).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reads the build info of a program over 256 MiB by seeking, and dismisses the others the same way, silently', async () => {
    const dir = await program();
    const root = await mkdtemp(join(tmpdir(), 'vigil-go-large-'));
    try {
      await mkdir(join(root, 'usr/bin'), { recursive: true });
      // The real program padded (sparsely) past 256 MiB: its ELF section headers still find
      // `.go.buildinfo`. The PE copy has no section table to follow: found by scanning for the marker.
      await copyFile(join(dir, 'vigiltest'), join(root, 'usr/bin/huge-go'));
      await sh('truncate', ['-s', '300M', join(root, 'usr/bin/huge-go')]);
      await copyFile(join(dir, 'vigiltest.exe'), join(root, 'usr/bin/huge-go.exe'));
      await sh('truncate', ['-s', '300M', join(root, 'usr/bin/huge-go.exe')]);
      // Not a program at all: nothing found, nothing wrong.
      await sh('truncate', ['-s', '300M', join(root, 'usr/bin/huge.bin')]);
      const small = await runExtractor(goBinary, join(dir, 'vigiltest'), { targetPath: '/usr/bin/vigiltest' });
      const inv = await scanTarget(`dir:${root}`);
      for (const file of ['/usr/bin/huge-go', '/usr/bin/huge-go.exe']) {
        expect(nv(inv.packages.filter((p) => p.locations.includes(file)))).toEqual(nv(small.packages));
      }
      // cargo auditable seeks too: no .dep-v0 in the ELF's section table, the others not ELF.
      expect(inv.warnings.filter((w) => w.extractor !== 'os/os-release@1')).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('finds no Go build info in a program that is not Go, and no error either', async () => {
    const r = await runExtractor(goBinary, '/bin/ls', { targetPath: '/bin/ls', requireMatch: false });
    expect(r).toEqual({ packages: [], warnings: [] });
  });

  it('finds in an image layer what it finds in the directory the layer was made from, holding only the ELF headers of other programs', async () => {
    const dir = await program();
    const work = await mkdtemp(join(tmpdir(), 'vigil-programs-layer-'));
    try {
      const root = join(work, 'root');
      await mkdir(join(root, 'usr/bin'), { recursive: true });
      await mkdir(join(root, 'usr/local/bin'), { recursive: true });
      await copyFile(join(dir, 'vigiltest'), join(root, 'usr/local/bin/vigiltest'));
      await writeFile(join(work, 'dep-v0.bin'), deflateSync(Buffer.from(JSON.stringify({ packages: [{ name: 'myapp', version: '0.1.0', source: 'local', root: true }] }))));
      await sh('objcopy', ['--add-section', `.dep-v0=${join(work, 'dep-v0.bin')}`, join(dir, 'vigiltest'), join(root, 'usr/bin/myapp')]);
      // C programs (kept as their headers), one hard-linked under a second name, and one cut
      // short so that its section table lies past its end (kept whole, read whole: nothing found).
      await copyFile('/bin/bash', join(root, 'usr/bin/bash'));
      await sh('ln', [join(root, 'usr/bin/bash'), join(root, 'usr/bin/rbash')]);
      await copyFile(process.execPath, join(root, 'usr/bin/node'));
      await writeFile(join(root, 'usr/bin/cut-short'), (await readFile('/bin/bash')).subarray(0, 700 * 1024));
      await sh('chmod', ['755', join(root, 'usr/bin/myapp'), join(root, 'usr/bin/cut-short')]);
      const image = await imageFromRootfs(root, work, 'programs');
      const fromDir = await scanTarget(`dir:${root}`);
      // Bytes held at once (files in the layer's order, /usr/bin/* then /usr/local/bin/*): every
      // program whole would exceed this; the node program's gathering beside the programs kept
      // whole (cut short, myapp) and the headers of bash fits, and so does the rest after it.
      const size = async (path: string) => (await stat(join(root, path))).size;
      const limits = { maxBufferedBytes: (await size('usr/bin/node')) + (await size('usr/bin/cut-short')) + (await size('usr/bin/myapp')) + 64 * 1024 };
      expect(limits.maxBufferedBytes).toBeLessThan((await size('usr/bin/node')) + (await size('usr/bin/cut-short')) + (await size('usr/bin/myapp')) + (await size('usr/bin/bash')));
      for (const ref of [`oci-dir:${image.ociRef}`, `docker-archive:${image.dockerArchive}`]) {
        const fromLayer = await scanTarget(ref, { limits });
        expect(nv(fromLayer.packages), ref).toEqual(nv(fromDir.packages));
        expect(fromLayer.packages.map((p) => p.locations).sort(), ref).toEqual(fromDir.packages.map((p) => p.locations).sort());
        expect(fromLayer.warnings.filter((w) => w.extractor !== 'os/os-release@1'), ref).toEqual([]);
      }
      expect(nv(fromDir.packages)).toEqual(expect.arrayContaining(['myapp@0.1.0', 'example.com/vigiltest@(devel)']));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it("reads only the first bytes of large files that are no programs, such as a database's data files", async () => {
    const work = await mkdtemp(join(tmpdir(), 'vigil-data-layer-'));
    try {
      const root = join(work, 'root');
      const data = join(root, 'var/lib/postgresql/15/main/base/1');
      await mkdir(data, { recursive: true });
      // Named like programs (no dot), so the program extractors want them; 3 MiB each.
      for (const name of ['1255', '1259']) await writeFile(join(data, name), Buffer.alloc(3 * 1024 * 1024, name));
      await sh('chmod', ['600', join(data, '1255'), join(data, '1259')]);
      await copyFile('/bin/bash', join(root, 'bash'));
      const image = await imageFromRootfs(root, work, 'data');
      const fromDir = await scanTarget(`dir:${root}`);
      const notOs = (warnings: ScanWarning[]) => warnings.filter((w) => w.extractor !== 'os/os-release@1');
      for (const ref of [`oci-dir:${image.ociRef}`, `docker-archive:${image.dockerArchive}`]) {
        // Room to gather bash, not one of the data files.
        const fromLayer = await scanTarget(ref, { limits: { maxBufferedBytes: 2 * 1024 * 1024 } });
        expect(nv(fromLayer.packages), ref).toEqual(nv(fromDir.packages));
        expect(notOs(fromLayer.warnings), ref).toEqual([]);
        // Over maxFileBytes, a program goes unread, said so; files that are no programs go by silently.
        const small = await scanTarget(ref, { limits: { maxFileBytes: 1024 * 1024 } });
        expect(notOs(small.warnings).map((w) => [w.path, w.reason]), ref).toEqual([['/bash', expect.stringMatching(/^not read: file is \d+ bytes, more than the limit of 1048576 \(maxFileBytes\)$/)]]);
      }
      // A host's database file larger than maxFileBytes is dismissed by seeking, silently.
      await writeFile(join(data, 'ibdata1'), '');
      await truncate(join(data, 'ibdata1'), 300 * 1024 * 1024);
      expect(notOs((await scanTarget(`dir:${root}`)).warnings)).toEqual([]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('reads a cargo-auditable .dep-v0 section added to a real ELF with objcopy', async () => {
    const dir = await program();
    const audit = {
      packages: [
        { name: 'myapp', version: '0.1.0', source: 'local', root: true, dependencies: [1, 2] },
        { name: 'serde', version: '1.0.200', source: 'crates.io' },
        { name: 'cc', version: '1.0.90', source: 'crates.io', kind: 'build' },
      ],
    };
    const section = join(dir, 'dep-v0.bin');
    await writeFile(section, deflateSync(Buffer.from(JSON.stringify(audit))));
    const bin = join(dir, 'auditable');
    await sh('objcopy', ['--add-section', `.dep-v0=${section}`, join(dir, 'vigiltest'), bin]);
    const r = await runExtractor(cargoAuditable, bin, { targetPath: '/usr/bin/myapp' });
    expect(r.error).toBeUndefined();
    expect(nv(r.packages)).toEqual(['cc@1.0.90', 'myapp@0.1.0', 'serde@1.0.200']);
    expect(r.packages.find((p) => p.name === 'cc')?.dev).toBe(true);
    expect(r.packages.every((p) => p.ecosystem === 'crates.io')).toBe(true);
  });
});

describe('Java: archives built here with javac and jar', () => {
  async function archives(): Promise<string> {
    return cached('java-archives', async (dir) => {
      await mkdir(join(dir, 'src/com/example'), { recursive: true });
      await writeFile(join(dir, 'src/com/example/Hello.java'), 'package com.example;\npublic class Hello { public static void main(String[] a) { System.out.println("hi"); } }\n');
      await mkdir(join(dir, 'classes'));
      await sh('javac', ['-d', join(dir, 'classes'), join(dir, 'src/com/example/Hello.java')]);
      const meta = join(dir, 'classes/META-INF/maven/com.example/hello');
      await mkdir(meta, { recursive: true });
      await writeFile(join(meta, 'pom.properties'), '#Generated by Maven\ngroupId=com.example\nartifactId=hello\nversion=1.0.0\n');
      await sh('jar', ['cf', join(dir, 'hello-1.0.0.jar'), '-C', join(dir, 'classes'), '.']);
      // A WAR with the JAR nested in WEB-INF/lib and no pom.properties of its own.
      await mkdir(join(dir, 'war/WEB-INF/lib'), { recursive: true });
      await copyFile(join(dir, 'hello-1.0.0.jar'), join(dir, 'war/WEB-INF/lib/hello-1.0.0.jar'));
      await writeFile(join(dir, 'war/index.html'), '<p>hi</p>\n');
      await sh('jar', ['cf', join(dir, 'shop-2.3.war'), '-C', join(dir, 'war'), '.']);
      // A JAR with a zip bomb nested in it: 64 MiB of zeros deflate to ~64 KiB.
      await mkdir(join(dir, 'bomb/lib'), { recursive: true });
      await writeFile(join(dir, 'bomb/lib/bomb.jar'), Buffer.alloc(64 * 1024 * 1024));
      await copyFile(join(dir, 'hello-1.0.0.jar'), join(dir, 'bomb/lib/hello-1.0.0.jar'));
      await sh('jar', ['cf', join(dir, 'bomb.jar'), '-C', join(dir, 'bomb'), '.']);
      await sh('rm', ['-rf', join(dir, 'bomb'), join(dir, 'war')]);
      const full = await readFile(join(dir, 'hello-1.0.0.jar'));
      await writeFile(join(dir, 'truncated.jar'), full.subarray(0, Math.floor(full.length / 2)));
    });
  }

  beforeAll(async () => {
    requireComponent('javac', 'jar');
    await archives();
  });

  it('reads pom.properties of a JAR and of a JAR nested in a WAR', async () => {
    const dir = await archives();
    const jar = await runExtractor(javaArchive, join(dir, 'hello-1.0.0.jar'), { targetPath: '/app/hello-1.0.0.jar' });
    expect(jar.error).toBeUndefined();
    expect(nv(jar.packages)).toEqual(['com.example:hello@1.0.0']);
    expect(jar.packages[0]).toMatchObject({ ecosystem: 'Maven', purlType: 'maven', namespace: 'com.example' });
    const war = await runExtractor(javaArchive, join(dir, 'shop-2.3.war'), { targetPath: '/srv/shop-2.3.war' });
    expect(war.error).toBeUndefined();
    // The WAR itself is known only by its file name (no group id); the nested JAR by its pom.properties.
    expect(nv(war.packages)).toEqual(['com.example:hello@1.0.0', 'shop@2.3']);
    expect(war.packages.find((p) => p.name === 'com.example:hello')?.metadata?.archivePath).toBe('/srv/shop-2.3.war!/WEB-INF/lib/hello-1.0.0.jar!/META-INF/maven/com.example/hello/pom.properties');
  });

  it('skips a zip bomb inside a JAR with a warning and still reads the rest', async () => {
    const dir = await archives();
    const r = await runExtractor(javaArchive, join(dir, 'bomb.jar'), { targetPath: '/app/bomb.jar' });
    expect(r.error).toBeUndefined();
    expect(nv(r.packages)).toContain('com.example:hello@1.0.0');
    expect(r.warnings.some((w) => w.includes('/app/bomb.jar!/lib/bomb.jar') && /zip bomb|limit/.test(w))).toBe(true);
  });

  it('names the file when an archive is truncated', async () => {
    const dir = await archives();
    const r = await runExtractor(javaArchive, join(dir, 'truncated.jar'), { targetPath: '/app/truncated.jar' });
    expect(r.error?.message).toMatch(/^\/app\/truncated\.jar: not a readable ZIP archive/);
  });
});
