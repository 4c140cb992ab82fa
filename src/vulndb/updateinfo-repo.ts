/**
 * Finding a yum/dnf repository's `updateinfo.xml(.gz)`: from a mirror list (Amazon Linux's
 * `mirror.list`, one repository URL a line), a repository base (`<base>/repodata/repomd.xml`
 * names the file), or the file itself. Local mirrors are folders with `repodata/repomd.xml`
 * or an `updateinfo.xml(.gz)` at their top.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { gunzip } from './archive.js';
import type { FetchLike } from './sources.js';

/** Amazon Linux's public repositories (x86_64; advisories are the same for every arch). */
export const AMAZON_LINUX_MIRROR_LISTS = {
  'Amazon Linux:2': 'https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list',
  'Amazon Linux:2023': 'https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list',
} as const;

const repomdParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'data' });

const UPDATEINFO_FILE = /(^|-)updateinfo\.xml(\.gz)?$/i;

/** The `href` of the updateinfo entry of a `repomd.xml`. */
export function updateinfoHref(repomd: string, where: string): string {
  let doc: { repomd?: { data?: { type?: string; location?: { href?: string } }[] } };
  try {
    doc = repomdParser.parse(repomd, true) as typeof doc;
  } catch (err) {
    throw new Error(`${where}: not valid XML (${(err as Error).message})`);
  }
  const data = doc.repomd?.data;
  if (!Array.isArray(data)) throw new Error(`${where}: not a repomd.xml document`);
  const href = data.find((d) => d.type === 'updateinfo')?.location?.href;
  if (!href) throw new Error(`${where}: the repository publishes no updateinfo`);
  if (/\.(xz|zst|bz2)$/i.test(href)) throw new Error(`${where}: updateinfo is ${href.split('.').pop()}-compressed (${href}); only gzip and plain XML are read`);
  if (href.includes('..') || /^[a-z]+:/i.test(href) || href.startsWith('/')) throw new Error(`${where}: updateinfo location "${href}" leaves the repository`);
  return href;
}

async function fetchText(url: string, fetchImpl: FetchLike, signal?: AbortSignal): Promise<string> {
  const res = await fetchImpl(url, { signal });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  const body = Buffer.from(await res.arrayBuffer());
  return (body[0] === 0x1f && body[1] === 0x8b ? gunzip(url, body) : body).toString('utf8');
}

/**
 * The URL or path of the updateinfo file a location stands for. URLs cost one request for a
 * mirror list and one for `repomd.xml`; a location naming the file costs none.
 */
export async function resolveUpdateinfo(location: string, remote: boolean, fetchImpl: FetchLike, signal?: AbortSignal): Promise<string> {
  if (!remote) return resolveLocal(location);
  const path = new URL(location).pathname;
  if (/updateinfo\.xml(\.gz)?$/i.test(path)) return location;
  let base = location;
  if (/mirror\.?list$/i.test(path)) {
    const list = await fetchText(location, fetchImpl, signal);
    const first = list.split('\n').map((l) => l.trim()).find((l) => /^https?:\/\//i.test(l));
    if (!first) throw new Error(`${location}: the mirror list names no repository URL`);
    base = first;
  }
  base = base.replace(/\/+$/, '');
  const repomdUrl = `${base}/repodata/repomd.xml`;
  return `${base}/${updateinfoHref(await fetchText(repomdUrl, fetchImpl, signal), repomdUrl)}`;
}

async function resolveLocal(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`${path}: no such file or directory`);
  if (!info.isDirectory()) return path;
  const repomd = join(path, 'repodata', 'repomd.xml');
  if (existsSync(repomd)) {
    const raw = await readFile(repomd);
    return join(path, updateinfoHref((raw[0] === 0x1f ? gunzip(repomd, raw) : raw).toString('utf8'), repomd));
  }
  const direct = (await readdir(path)).filter((f) => UPDATEINFO_FILE.test(f)).sort();
  if (direct.length === 0) throw new Error(`${path}: no repodata/repomd.xml and no updateinfo.xml(.gz)`);
  return join(path, direct[0]);
}
