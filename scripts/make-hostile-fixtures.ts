/**
 * Generates hostile images and archives for the inventory tests (and for anyone who wants
 * to point `vigil sbom` at them): path traversal, symlink loops and escapes, hard links to
 * nothing, device files, gzip and zstd bombs, entry floods, truncated archives, missing
 * blobs, wrong digests, absurd layer counts, non-UTF-8 names, deep paths, a pom.xml
 * expansion bomb, lockfiles and SBOMs nested tens of thousands deep, OCI layouts whose files
 * link out of the layout (to /dev/zero, to a sentinel layer outside) or are FIFOs. Generated at
 * test time into a temporary directory rather than committed as binaries.
 *
 *   npx tsx scripts/make-hostile-fixtures.ts OUTDIR
 *
 * Also exports the small tar and OCI-layout writers the tests use to build synthetic images.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One tar member, with its name as raw bytes when it must not be UTF-8. */
export interface TarMemberSpec {
  name: string | Buffer;
  type?: 'file' | 'dir' | 'symlink' | 'link' | 'char' | 'fifo';
  data?: Buffer | string;
  linkname?: string;
  /** Zero-filled content of this many bytes (cheap bombs), instead of `data`. */
  zeros?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A pax extended header record (`LEN key=value\n`, LEN counting itself). */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(` ${key}=`) + value.length + 1;
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

/**
 * A ustar archive of the members, written byte by byte so names can be anything. Names and
 * link targets over 100 bytes go into a pax extended header before the member.
 */
export function makeTar(members: TarMemberSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const data = m.zeros !== undefined ? Buffer.alloc(m.zeros) : Buffer.from(m.data ?? '');
    let name = Buffer.isBuffer(m.name) ? m.name : Buffer.from(m.name, 'utf8');
    const linkname = Buffer.from(m.linkname ?? '', 'utf8');
    if (name.length > 100 || linkname.length > 100) {
      const pax = Buffer.concat([...(name.length > 100 ? [paxRecord('path', name)] : []), ...(linkname.length > 100 ? [paxRecord('linkpath', linkname)] : [])]);
      parts.push(...tarMember(Buffer.from('PaxHeader'), 'x', pax, Buffer.alloc(0)));
      name = name.subarray(0, 100);
    }
    parts.push(...tarMember(name, m.type ?? 'file', data, linkname.subarray(0, 100)));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** One ustar header (and its padded data). */
function tarMember(name: Buffer, type: NonNullable<TarMemberSpec['type']> | 'x', data: Buffer, linkname: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(512);
  name.copy(h, 0);
  h.write(octal(type === 'dir' ? 0o755 : 0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  const size = type === 'file' || type === 'x' ? data.length : 0;
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(0, 12), 136, 'latin1');
  h.write({ file: '0', link: '1', symlink: '2', char: '3', dir: '5', fifo: '6', x: 'x' }[type], 156, 'latin1');
  linkname.copy(h, 157);
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'latin1');
  parts.push(h);
  if (size > 0) {
    parts.push(data);
    if (size % 512) parts.push(Buffer.alloc(512 - (size % 512)));
  }
  return parts;
}

/** sha256 digest of bytes, `sha256:<hex>`. */
export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Compresses with the `zstd` command-line tool (fzstd only decompresses). */
export function zstdCompress(data: Buffer): Buffer {
  return execFileSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1024 * 1024 * 1024 });
}

/** One layer of a synthetic image. */
export interface LayerSpec {
  tar: Buffer;
  compression?: 'gzip' | 'zstd' | 'none';
  /** Break the image: store other bytes than the digest says, cut the blob short, or leave it out. */
  corrupt?: 'digest' | 'truncate' | 'missing';
}

/** What else a synthetic image's manifest or layout may carry. */
export interface LayoutOptions {
  tag?: string;
  labels?: Record<string, string>;
  architecture?: string;
  /** Repeat the layer list this many times in the manifest (absurd layer counts). */
  repeatLayers?: number;
  /** Replace the manifest bytes entirely. */
  manifestOverride?: string;
}

const MT = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  tar: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

/** Writes an OCI image layout with the given layers; returns the manifest digest. */
export async function writeLayout(dir: string, layers: LayerSpec[], opts: LayoutOptions = {}): Promise<string> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (data: Buffer, stored: Buffer = data): Promise<string> => {
    const digest = sha256(data);
    await writeFile(join(blobs, digest.slice(7)), stored);
    return digest;
  };
  const descriptors: { mediaType: string; digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  for (const l of layers) {
    const compression = l.compression ?? 'gzip';
    const blob = compression === 'gzip' ? gzipSync(l.tar) : compression === 'zstd' ? zstdCompress(l.tar) : l.tar;
    diffIds.push(sha256(l.tar));
    let digest: string;
    if (l.corrupt === 'missing') digest = sha256(blob);
    else if (l.corrupt === 'digest') digest = await put(blob, Buffer.concat([blob.subarray(0, blob.length - 1), Buffer.from([blob[blob.length - 1] ^ 0xff])]));
    else if (l.corrupt === 'truncate') {
      const cut = blob.subarray(0, Math.floor(blob.length / 2));
      digest = await put(cut);
      descriptors.push({ mediaType: MT[compression === 'none' ? 'tar' : compression], digest, size: cut.length });
      continue;
    } else digest = await put(blob);
    descriptors.push({ mediaType: MT[compression === 'none' ? 'tar' : compression], digest, size: blob.length });
  }
  const config = Buffer.from(
    JSON.stringify({
      created: '2024-01-02T03:04:05Z',
      architecture: opts.architecture ?? 'amd64',
      os: 'linux',
      config: { Labels: opts.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layers.map((_, i) => ({ created: '2024-01-02T03:04:05Z', created_by: `synthetic layer ${i + 1}` })),
    }),
  );
  const configDigest = await put(config);
  const layerList = Array.from({ length: opts.repeatLayers ?? 1 }, () => descriptors).flat();
  const manifest = Buffer.from(
    opts.manifestOverride ??
      JSON.stringify({ schemaVersion: 2, mediaType: MT.manifest, config: { mediaType: MT.config, digest: configDigest, size: config.length }, layers: layerList }),
  );
  const manifestDigest = await put(manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: MT.manifest, digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': opts.tag ?? 'latest' } }],
    }),
  );
  return manifestDigest;
}

/** A dpkg status database with one installed package, the canary every hostile image carries. */
export const CANARY_STATUS = 'Package: canary\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\n';
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';

function baseLayer(): LayerSpec {
  return {
    tar: makeTar([
      { name: 'etc/', type: 'dir' },
      { name: 'etc/os-release', data: OS_RELEASE },
      { name: 'var/lib/dpkg/', type: 'dir' },
      { name: 'var/lib/dpkg/status', data: CANARY_STATUS },
    ]),
  };
}

/** The package a layer kept outside every layout names: it must never be found. */
export const SENTINEL_PACKAGE = 'sentinel-outside';

/** An uncompressed layer whose dpkg database names {@link SENTINEL_PACKAGE}. */
function sentinelLayer(): LayerSpec {
  const status = `Package: ${SENTINEL_PACKAGE}\nStatus: install ok installed\nVersion: 6.6.6\nArchitecture: amd64\n\n`;
  return { tar: makeTar([{ name: 'var/lib/dpkg/status', data: CANARY_STATUS + status }]), compression: 'none' };
}

/** A package-lock.json v1 whose dependencies nest `depth` levels deep. */
export function deepPackageLock(depth: number): string {
  return `{"lockfileVersion":1,"dependencies":${'{"d":{"version":"1.0.0","dependencies":'.repeat(depth)}{}${'}}'.repeat(depth)}}`;
}

/** A CycloneDX 1.5 document whose components nest `depth` levels deep. */
export function deepCycloneDx(depth: number): string {
  const open = '{"type":"library","name":"c","version":"1","purl":"pkg:npm/c@1","components":[';
  return `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[${open.repeat(depth)}${']}'.repeat(depth)}]}`;
}

/** The hostile fixtures, by name; each value is the target string to scan. */
export type HostileFixtures = Record<string, string>;

/** Writes every hostile fixture under `out` and returns their targets. */
export async function makeHostileFixtures(out: string): Promise<HostileFixtures> {
  await mkdir(out, { recursive: true });
  const t: HostileFixtures = {};
  const layout = async (name: string, layers: LayerSpec[], opts?: LayoutOptions) => {
    await writeLayout(join(out, name), layers, opts);
    t[name] = `oci-dir:${join(out, name)}`;
  };
  await layout('path-traversal', [
    baseLayer(),
    { tar: makeTar([{ name: '../../../../tmp/vigil-escaped', data: 'x' }, { name: '/etc/vigil-absolute', data: 'x' }, { name: 'app/../../var/lib/dpkg/status', data: 'Package: evil\nVersion: 6.6.6\n\n' }]) },
  ]);
  await layout('symlink-loop', [
    baseLayer(),
    { tar: makeTar([{ name: 'var/lib/dpkg/status', type: 'symlink', linkname: 'status.loop' }, { name: 'var/lib/dpkg/status.loop', type: 'symlink', linkname: 'status' }]) },
  ]);
  await layout('symlink-escape', [baseLayer(), { tar: makeTar([{ name: 'var/lib/dpkg/status', type: 'symlink', linkname: '../../../../../../../../etc/passwd' }]) }]);
  await layout('hardlink-missing', [baseLayer(), { tar: makeTar([{ name: 'var/lib/dpkg/status', type: 'link', linkname: 'does/not/exist' }]) }]);
  await layout('device-file', [baseLayer(), { tar: makeTar([{ name: 'var/lib/dpkg/status', type: 'char' }]) }]);
  await layout('gzip-bomb', [baseLayer(), { tar: makeTar([{ name: 'zeros', zeros: 64 * 1024 * 1024 }]), compression: 'gzip' }]);
  await layout('zstd-bomb', [baseLayer(), { tar: makeTar([{ name: 'zeros', zeros: 64 * 1024 * 1024 }]), compression: 'zstd' }]);
  // A zstd frame whose header claims a 2 GiB window (content: a few bytes of raw block).
  const zstdWindowBomb = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8]), Buffer.from([0x01, 0x00, 0x00]), Buffer.alloc(8)]);
  await layout('zstd-window-bomb', [baseLayer(), { tar: zstdWindowBomb, compression: 'none' }]);
  await layout('entry-flood', [baseLayer(), { tar: makeTar(Array.from({ length: 3000 }, (_, i) => ({ name: `flood/${i}`, data: '' }))) }]);
  await layout('truncated-layer', [baseLayer(), { tar: makeTar([{ name: 'big', data: Buffer.alloc(200_000, 7) }]), corrupt: 'truncate' }]);
  await layout('missing-blob', [baseLayer(), { tar: makeTar([{ name: 'x', data: 'x' }]), corrupt: 'missing' }]);
  await layout('wrong-digest', [baseLayer(), { tar: makeTar([{ name: 'x', data: 'x' }]), corrupt: 'digest' }]);
  await layout('absurd-layer-count', [baseLayer()], { repeatLayers: 5000 });
  await layout('non-utf8-name', [baseLayer(), { tar: makeTar([{ name: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]), data: 'x' }]) }]);
  await layout('not-a-tar', [baseLayer(), { tar: Buffer.from('this is not a tar archive, just text '.repeat(40)), compression: 'gzip' }]);
  await layout('manifest-not-json', [baseLayer()], { manifestOverride: '{"schemaVersion": 2, "layers": [' });
  await layout('digest-traversal', [baseLayer()], {
    manifestOverride: JSON.stringify({ schemaVersion: 2, config: { digest: 'sha256:../../../../etc/passwd', size: 1 }, layers: [] }),
  });
  // Deep paths: a 50,000-component name (100 KB, in a pax header), 1,000 components within
  // PATH_MAX, and a flood of 1,000 names of 20,000 components each.
  await layout('deep-path', [baseLayer(), { tar: makeTar([{ name: `${'a/'.repeat(50_000)}status`, data: 'x' }]) }]);
  await layout('deep-path-components', [baseLayer(), { tar: makeTar([{ name: `${'d/'.repeat(1000)}f`, data: 'x' }]) }]);
  await layout('deep-path-flood', [baseLayer(), { tar: makeTar(Array.from({ length: 1000 }, (_, i) => ({ name: `${i}/${'a/'.repeat(20_000)}f`, data: '' }))) }]);
  // A pom.xml of 3 KB whose properties expand 100-fold per level, five levels deep (8·10¹⁰ characters).
  const pom =
    '<project><groupId>g</groupId><artifactId>bomb</artifactId><version>1</version><properties>' +
    [0, 1, 2, 3, 4].map((i) => `<p${i}>${`\${p${i + 1}}`.repeat(100)}</p${i}>`).join('') +
    '<p5>xxxxxxxx</p5></properties><dependencies>' +
    '<dependency><groupId>g</groupId><artifactId>exploding</artifactId><version>${p0}</version></dependency>' +
    '<dependency><groupId>g</groupId><artifactId>fine</artifactId><version>1.0</version></dependency>' +
    '</dependencies></project>';
  await layout('pom-bomb', [baseLayer(), { tar: makeTar([{ name: 'app/pom.xml', data: pom }]) }]);
  // A package-lock.json v1 whose dependencies nest 30,000 deep.
  await layout('deep-package-lock', [baseLayer(), { tar: makeTar([{ name: 'app/package-lock.json', data: deepPackageLock(30_000) }]) }]);
  // A CycloneDX SBOM whose components nest 20,000 deep.
  await writeFile(join(out, 'deep.cdx.json'), deepCycloneDx(20_000));
  t['deep-cyclonedx'] = `sbom:${join(out, 'deep.cdx.json')}`;

  // OCI layouts whose files are not what they claim: index.json linked to /dev/zero, a layer
  // blob linked to a file outside the layout (the sentinel image layer, which names the
  // package `sentinel-outside`: finding it means a read outside the target), the blobs
  // directory linked out of the layout, a layer blob that is a FIFO.
  await layout('oci-index-dev-zero', [baseLayer()]);
  await rm(join(out, 'oci-index-dev-zero', 'index.json'));
  await symlink('/dev/zero', join(out, 'oci-index-dev-zero', 'index.json'));
  const sentinel = sentinelLayer();
  await writeFile(join(out, 'sentinel-outside.tar'), sentinel.tar);
  const sentinelBlob = (name: string) => join(out, name, 'blobs', 'sha256', sha256(sentinel.tar).slice(7));
  await layout('oci-blob-outside', [baseLayer(), sentinel]);
  await rm(sentinelBlob('oci-blob-outside'));
  await symlink(join(out, 'sentinel-outside.tar'), sentinelBlob('oci-blob-outside'));
  await layout('oci-blob-fifo', [baseLayer(), sentinel]);
  await rm(sentinelBlob('oci-blob-fifo'));
  execFileSync('mkfifo', [sentinelBlob('oci-blob-fifo')]);
  await writeLayout(join(out, 'blobs-elsewhere'), [baseLayer(), sentinel]);
  await mkdir(join(out, 'oci-blobs-dir-outside'));
  for (const f of ['index.json', 'oci-layout']) await copyFile(join(out, 'blobs-elsewhere', f), join(out, 'oci-blobs-dir-outside', f));
  await symlink(join(out, 'blobs-elsewhere', 'blobs'), join(out, 'oci-blobs-dir-outside', 'blobs'));
  t['oci-blobs-dir-outside'] = `oci-dir:${join(out, 'oci-blobs-dir-outside')}`;

  // A docker-archive cut in the middle of a member.
  const archive = makeTar([
    { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['x:y'], Layers: ['l.tar'] }]) },
    { name: 'c.json', data: '{}' },
    { name: 'l.tar', data: Buffer.alloc(100_000, 1) },
  ]);
  await writeFile(join(out, 'truncated.docker.tar'), archive.subarray(0, 40_000));
  t['truncated-archive'] = `docker-archive:${join(out, 'truncated.docker.tar')}`;
  // Directory targets: symlinks that loop or climb out of the root must not be followed outside it.
  const dir = join(out, 'rootfs-symlinks');
  await mkdir(join(dir, 'var/lib/dpkg'), { recursive: true });
  await mkdir(join(dir, 'etc'), { recursive: true });
  await writeFile(join(dir, 'etc/os-release'), OS_RELEASE);
  await symlink('../../../../../../../../../etc/passwd', join(dir, 'var/lib/dpkg/status'));
  await mkdir(join(dir, 'lib/apk/db'), { recursive: true });
  await symlink('installed.loop', join(dir, 'lib/apk/db/installed'));
  await symlink('installed', join(dir, 'lib/apk/db/installed.loop'));
  await symlink('/', join(dir, 'rootlink'));
  await symlink('..', join(dir, 'etc/up'));
  t['rootfs-symlinks'] = `dir:${dir}`;
  return t;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: tsx scripts/make-hostile-fixtures.ts OUTDIR');
    process.exit(2);
  }
  const fixtures = await makeHostileFixtures(out);
  for (const [name, target] of Object.entries(fixtures)) console.log(`${name}\t${target}`);
}
