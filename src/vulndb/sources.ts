/**
 * Sources: `KIND=LOCATION` specs, their expansion into fetchable units, and fetching a unit
 * by fingerprint (conditional GET for URLs, content digest for local files), so that an
 * unchanged source costs one request and no import.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileDigest, fileKind } from './archive.js';
import type { SourceKind } from './importers/types.js';
import { NVD_FEEDS_BASE, expandNvdFeeds, isNvdFeedBase } from './nvd-feeds.js';
import { AMAZON_LINUX_MIRROR_LISTS, resolveUpdateinfo } from './updateinfo-repo.js';
import { ECOSYSTEMS, canonicalEcosystem, tryParseEcosystem } from '../ecosystems.js';

/** osv.dev's public export (the `gs://osv-vulnerabilities` bucket over HTTPS). */
export const OSV_PUBLIC_BASE = 'https://osv-vulnerabilities.storage.googleapis.com';

/**
 * CISA's vulnrichment repository (CVE JSON 5 records with CISA-ADP CVSS, CWE and SSVC), as
 * GitHub's archive of its default branch.
 */
export const VULNRICHMENT_ARCHIVE = 'https://github.com/cisagov/vulnrichment/archive/refs/heads/develop.zip';

/**
 * Sources used when neither `--source` is given nor the database remembers any: OSV for
 * advisories, NVD and CISA's vulnrichment for CVSS (OSV's distribution records carry none),
 * KEV and EPSS.
 */
export const DEFAULT_SOURCES = [
  `osv=${OSV_PUBLIC_BASE}`,
  `nvd=${NVD_FEEDS_BASE}`,
  `cve5=${VULNRICHMENT_ARCHIVE}`,
  ...Object.entries(AMAZON_LINUX_MIRROR_LISTS).map(([ecosystem, url]) => `updateinfo=${url}#${ecosystem}`),
  'kev=https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
  'epss=https://epss.cyentia.com/epss_scores-current.csv.gz',
] as const;

/** Kind names `--source` accepts, with their aliases. */
const KIND_ALIASES: Record<string, SourceKind> = {
  osv: 'osv',
  rubysec: 'rubysec',
  'ruby-advisory-db': 'rubysec',
  packagist: 'packagist',
  friendsofphp: 'packagist',
  alpine: 'alpine',
  'alpine-secdb': 'alpine',
  debian: 'debian',
  'debian-dsa': 'debian',
  'debian-dla': 'debian',
  updateinfo: 'updateinfo',
  yum: 'updateinfo',
  nvd: 'nvd',
  cve5: 'cve5',
  vulnrichment: 'cve5',
  kev: 'kev',
  epss: 'epss',
};

/** A parsed `--source KIND=LOCATION`. */
export interface SourceSpec {
  kind: SourceKind;
  /**
   * An http(s) URL, or an absolute local path. For `updateinfo`, followed by `#` and the
   * ecosystem with release the repository serves (`…/mirror.list#Amazon Linux:2023`).
   */
  location: string;
  remote: boolean;
  /** For `updateinfo`: the ecosystem with release named after `#`. */
  ecosystem?: string;
}

/** Thrown for a `--source` value that cannot be used; the message names it. */
export class SourceSpecError extends Error {}

/** Parses `KIND=URL|PATH`; relative paths are resolved against `cwd`. */
export function parseSourceSpec(text: string, cwd = process.cwd()): SourceSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new SourceSpecError(`--source "${text}": expected KIND=URL or KIND=PATH (kinds: ${sourceKindNames().join(', ')})`);
  const kindText = text.slice(0, eq).trim().toLowerCase();
  const kind = KIND_ALIASES[kindText];
  if (!kind) throw new SourceSpecError(`--source "${text}": unknown kind "${kindText}" (kinds: ${sourceKindNames().join(', ')})`);
  let loc = text.slice(eq + 1).trim();
  if (!loc) throw new SourceSpecError(`--source "${text}": missing URL or path`);
  let ecosystem: string | undefined;
  if (kind === 'updateinfo') {
    // The file does not say which release it is for: the spec must.
    const hash = loc.lastIndexOf('#');
    const eco = hash < 0 ? undefined : tryParseEcosystem(loc.slice(hash + 1).trim());
    if (!eco || eco.info.kind !== 'os' || !eco.release || eco.info.scheme !== 'rpm') {
      throw new SourceSpecError(`--source "${text}": an updateinfo source ends with #ECOSYSTEM:RELEASE of an rpm distribution (e.g. updateinfo=URL#Amazon Linux:2023)`);
    }
    ecosystem = canonicalEcosystem(eco.raw.trim());
    loc = loc.slice(0, hash).trim();
    if (!loc) throw new SourceSpecError(`--source "${text}": missing URL or path`);
  }
  const tag = ecosystem ? `#${ecosystem}` : '';
  const extra = ecosystem ? { ecosystem } : {};
  if (/^https?:\/\//i.test(loc)) return { kind, location: loc.replace(/\/+$/, '') + tag, remote: true, ...extra };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(loc)) throw new SourceSpecError(`--source "${text}": only http(s) URLs and local paths are supported`);
  return { kind, location: resolve(cwd, loc) + tag, remote: false, ...extra };
}

/** The kind names `--source` accepts. */
export function sourceKindNames(): string[] {
  return Object.keys(KIND_ALIASES);
}

/** `kind=location`, the spec as stored. */
export function specText(spec: SourceSpec): string {
  return `${spec.kind}=${spec.location}`;
}

/** One fetchable part of a source: a URL or a local path imported as a whole. */
export interface SourceUnit {
  /** Stable name, stored with the data: `osv=https://…/PyPI`, `kev=/data/kev.json`. */
  name: string;
  spec: SourceSpec;
  /** What to read: a URL or a local path. */
  target: string;
  /** For OSV export layouts: the ecosystem this unit holds. */
  ecosystem?: string;
  /**
   * For a patch (NVD's modified feed): the unit whose rows hold a CVE. A patch replaces only
   * the CVEs it lists, inside those units' rows, and keeps no rows of its own.
   */
  patchOf?: (cveId: string) => string;
}

/** A fetch function (global `fetch` by default; tests may pass their own). */
export type FetchLike = typeof fetch;

/**
 * Expands a spec into units. An OSV export layout (`ecosystems.txt` + `<Eco>/all.zip`)
 * becomes one unit per ecosystem, limited to `only` when given; for a URL without `only`
 * this costs one request for `ecosystems.txt`.
 */
export async function expandSpec(spec: SourceSpec, only: readonly string[] | undefined, fetchImpl: FetchLike, signal?: AbortSignal): Promise<SourceUnit[]> {
  const base = specText(spec);
  if (spec.kind === 'nvd' && (await isNvdFeedBase(spec))) return expandNvdFeeds(spec, base);
  if (spec.kind === 'updateinfo') {
    const where = spec.location.slice(0, spec.location.lastIndexOf('#'));
    return [{ name: base, spec, target: await resolveUpdateinfo(where, spec.remote, fetchImpl, signal) }];
  }
  if (spec.kind !== 'osv') return [{ name: base, spec, target: spec.location }];
  if (spec.remote) {
    // A URL ending in .zip or .json is one file, not an export base.
    if (/\.(zip|json)$/i.test(spec.location)) return [{ name: base, spec, target: spec.location }];
    const ecosystems = only ?? (await remoteEcosystems(spec.location, fetchImpl, signal));
    return ecosystems.map((eco) => ({ name: `${base}/${eco}`, spec, target: `${spec.location}/${encodeURIComponent(eco)}/all.zip`, ecosystem: eco }));
  }
  const listFile = join(spec.location, 'ecosystems.txt');
  if (existsSync(listFile)) {
    const listed = parseEcosystemList(await readFile(listFile, 'utf8'));
    const wanted = only ? listed.filter((e) => only.some((o) => o.toLowerCase() === e.toLowerCase())) : listed;
    const units: SourceUnit[] = [];
    for (const eco of wanted) {
      const zip = join(spec.location, eco, 'all.zip');
      if (existsSync(zip)) units.push({ name: `${base}/${eco}`, spec, target: zip, ecosystem: eco });
    }
    return units;
  }
  return [{ name: base, spec, target: spec.location }];
}

/** `ecosystems.txt`: one name a line; release-specific names (`Debian:12`) are inside their base's zip. */
export function parseEcosystemList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.includes(':'));
}

async function remoteEcosystems(base: string, fetchImpl: FetchLike, signal?: AbortSignal): Promise<string[]> {
  const url = `${base}/ecosystems.txt`;
  let res: Response;
  try {
    res = await fetchImpl(url, { signal });
  } catch (err) {
    throw new Error(`${url}: request failed (${describeFetchError(err)})`);
  }
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  return parseEcosystemList(await res.text());
}

/** What a unit looked like when last imported. */
export interface Fingerprint {
  etag?: string;
  lastModified?: string;
  digest?: string;
  /** `kind@version` of the importer that read it: a new importer re-imports. */
  importer: string;
}

/** Result of checking a unit: unchanged, or a local file to import (maybe a temp download). */
export type FetchOutcome =
  | { changed: false; fingerprint: Fingerprint; requests: number }
  | { changed: true; fingerprint: Fingerprint; path: string; temporary: boolean; requests: number; bytes?: number };

/** Progress of a download. */
export type DownloadProgress = (received: number, total: number | undefined) => void;

/**
 * Checks one unit against its stored fingerprint and, when it changed, makes it available
 * as a local path. URLs: one conditional GET (If-None-Match / If-Modified-Since), the body
 * streamed to `tmpDir`, its length checked against Content-Length and its digest compared.
 */
export async function fetchUnit(
  unit: SourceUnit,
  previous: Fingerprint | undefined,
  importer: string,
  opts: { tmpDir: string; fetchImpl: FetchLike; signal?: AbortSignal; force?: boolean; onProgress?: DownloadProgress },
): Promise<FetchOutcome> {
  const sameImporter = previous?.importer === importer && !opts.force;
  if (!unit.spec.remote) {
    const digest = await localDigest(unit.target);
    const fingerprint: Fingerprint = { digest, importer };
    if (sameImporter && previous?.digest === digest) return { changed: false, fingerprint, requests: 0 };
    return { changed: true, fingerprint, path: unit.target, temporary: false, requests: 0 };
  }
  const headers: Record<string, string> = {};
  if (sameImporter && previous?.etag) headers['if-none-match'] = previous.etag;
  if (sameImporter && previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
  let res: Response;
  try {
    res = await opts.fetchImpl(unit.target, { headers, signal: opts.signal });
  } catch (err) {
    throw new Error(`${unit.target}: request failed (${describeFetchError(err)})`);
  }
  if (res.status === 304 && previous) {
    await res.body?.cancel();
    return { changed: false, fingerprint: previous, requests: 1 };
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`${unit.target}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  const total = res.headers.get('content-length') ? Number(res.headers.get('content-length')) : undefined;
  const suffix = /\.gz$/i.test(new URL(unit.target).pathname) ? '.gz' : '';
  const path = join(opts.tmpDir, `download-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}${suffix}`);
  const hash = createHash('sha256');
  let received = 0;
  const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    hash.update(chunk);
    opts.onProgress?.(received, total);
  });
  try {
    await pipeline(body, createWriteStream(path));
  } catch (err) {
    await unlink(path).catch(() => undefined);
    throw new Error(`${unit.target}: download failed after ${received} bytes (${describeFetchError(err)})`);
  }
  // A connection closed early without an error still leaves a short file: check the length.
  if (total !== undefined && Number.isFinite(total) && received !== total) {
    await unlink(path).catch(() => undefined);
    throw new Error(`${unit.target}: truncated download: got ${received} of ${total} bytes`);
  }
  const digest = `sha256:${hash.digest('hex')}`;
  const fingerprint: Fingerprint = {
    importer,
    digest,
    ...(res.headers.get('etag') ? { etag: res.headers.get('etag') as string } : {}),
    ...(res.headers.get('last-modified') ? { lastModified: res.headers.get('last-modified') as string } : {}),
  };
  if (sameImporter && previous?.digest === digest) {
    await unlink(path).catch(() => undefined);
    return { changed: false, fingerprint, requests: 1 };
  }
  const kind = await fileKind(path);
  if (/\.zip$/i.test(new URL(unit.target).pathname) && kind !== 'zip') {
    await unlink(path).catch(() => undefined);
    throw new Error(`${unit.target}: not a zip archive (the server sent something else)`);
  }
  return { changed: true, fingerprint, path, temporary: true, requests: 1, bytes: received };
}

/** A digest of a local file, or of a directory's listing (names, sizes, modification times). */
export async function localDigest(path: string): Promise<string> {
  const info = await stat(path).catch(() => {
    throw new Error(`${path}: no such file or directory`);
  });
  if (!info.isDirectory()) return fileDigest(path);
  const hash = createHash('sha256');
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full, `${rel}${e.name}/`);
      else {
        const s = await stat(full);
        hash.update(`${rel}${e.name}\u0000${s.size}\u0000${s.mtimeMs}\n`);
      }
    }
  };
  await walk(path, '');
  return `listing-sha256:${hash.digest('hex')}`;
}

/** A readable reason from fetch's nested errors (`fetch failed` says nothing by itself). */
export function describeFetchError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 4; depth++) {
    const e = cur as { message?: string; code?: string; cause?: unknown };
    const text = [e.code, e.message].filter(Boolean).join(': ');
    if (text && !parts.includes(text)) parts.push(text);
    cur = e.cause;
  }
  return parts.join(' ← ') || String(err);
}

/**
 * The sources of a folder laid out like Vigil's shared `vulndata` (see its SOURCES.md):
 * every dataset that is present, each as its `KIND=PATH` spec. The PyPI YAML tree is left
 * out because `osv/PyPI/all.zip` holds the same records.
 */
export function vulndataSpecs(dir: string): string[] {
  const d = resolve(dir);
  const candidates: [string, string][] = [
    ['osv', 'osv'],
    ['rubysec', 'native/rubysec-ruby-advisory-db.zip'],
    ['packagist', 'native/friendsofphp-security-advisories.zip'],
    ['alpine', 'native/alpine-secdb-legacy.zip'],
    ['debian', 'native/debian-security-tracker'],
    ['nvd', 'nvd'],
    ['cve5', 'cve/vulnrichment-cve5.zip'],
    ['kev', 'kev/known_exploited_vulnerabilities.json'],
    ['epss', 'epss/epss-by-year.zip'],
  ];
  const found = candidates.filter(([, rel]) => existsSync(join(d, rel))).map(([kind, rel]) => `${kind}=${join(d, rel)}`);
  return [...found, ...updateinfoMirrorSpecs(join(d, 'updateinfo'))];
}

/**
 * `updateinfo/<os-release ID>-<release>/` folders of a vulndata-style mirror (`amzn-2`,
 * `amzn-2023`, `ol-9`): each a repository copy (`repodata/repomd.xml` and the updateinfo file
 * it names) or just its `updateinfo.xml(.gz)`, for that ecosystem and release.
 */
function updateinfoMirrorSpecs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const specs: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = /^([a-z][a-z0-9_.-]*?)-(\d[\w.]*)$/.exec(name);
    const info = m && ECOSYSTEMS.find((e) => e.kind === 'os' && e.scheme === 'rpm' && (e.osReleaseIds as readonly string[] | undefined)?.includes(m[1]));
    if (m && info) specs.push(`updateinfo=${join(dir, name)}#${info.name}:${m[2]}`);
  }
  return specs;
}
