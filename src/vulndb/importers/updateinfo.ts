/**
 * yum/dnf repository `updateinfo.xml` → OSV records, for the distributions that publish their
 * advisories only there: Amazon Linux 2 and 2023 (ALAS), Oracle Linux (ELSA), Fedora and the
 * RHEL clones. The format (createrepo_c / libdnf) is:
 *
 *     <updates>
 *       <update type="security" status="final">
 *         <id>ALAS2023-2024-001</id> <title>…</title> <severity>important</severity>
 *         <issued date="2024-01-09 21:32:00"/> <updated date="…"/> <description>…</description>
 *         <references><reference type="cve" id="CVE-2023-1234" href="…"/></references>
 *         <pkglist><collection><package name="openssl" epoch="1" version="3.0.8"
 *             release="1.amzn2023.0.9" arch="x86_64" src="…src.rpm"/></collection></pkglist>
 *       </update>
 *     </updates>
 *
 * The file does not say which release it is for, so the source names it
 * (`updateinfo=URL#Amazon Linux:2023`). Each update becomes one record; each package name one
 * affected entry fixed in its lowest listed `epoch:version-release` (rpm order). Updates that
 * are neither of type `security` nor name a CVE (bug fixes, enhancements) are not
 * vulnerabilities and are left out without a warning.
 */
import { XMLParser } from 'fast-xml-parser';
import { parseEcosystem } from '../../ecosystems.js';
import { schemes } from '../../versioning/index.js';
import type { OsvAffected, OsvRecord } from '../types.js';
import { updateinfoPackageSchema, updateinfoSchema, updateinfoUpdateSchema } from './updateinfo-schema.js';
import { reason, type ImportContext, type ImportItem, type Importer } from './types.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'update' || name === 'reference' || name === 'collection' || name === 'package',
});

const CVE = /^CVE-\d{4}-\d{4,}$/;

/** `2024-01-09 21:32:00`, `2024-01-09T21:32:00Z` or epoch seconds → RFC 3339; undefined when unreadable. */
export function updateinfoDate(text: string | undefined): string | undefined {
  const t = text?.trim();
  if (!t) return undefined;
  const ms = /^\d+$/.test(t) ? Number(t) * 1000 : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : undefined;
}

/** `epoch:version-release`, the epoch left out when it is 0 (as rpm and the rpm extractor write it). */
export function evr(p: { epoch?: string; version: string; release: string }): string {
  const epoch = p.epoch?.trim();
  return `${epoch && epoch !== '0' ? `${epoch}:` : ''}${p.version}-${p.release}`;
}

/** The PURL of a package in a distribution release (`pkg:rpm/amazon/openssl?distro=amzn-2023`). */
function purlFor(ecosystem: string, name: string): string {
  const { info, release } = parseEcosystem(ecosystem);
  const distro = release ? `?distro=${info.osReleaseIds?.[0] ?? info.purlNamespace}-${release}` : '';
  return `pkg:rpm/${info.purlNamespace}/${encodeURIComponent(name)}${distro}`;
}

/** Converts one parsed update; packages that cannot be read are reported through `skip`. */
export function updateToOsv(raw: unknown, ecosystem: string, label: string, skip: (item: string, why: string) => void): OsvRecord | undefined {
  const parsed = updateinfoUpdateSchema.safeParse(raw);
  if (!parsed.success) {
    skip(label, `not an updateinfo update: ${reason(parsed.error)}`);
    return undefined;
  }
  const u = parsed.data;
  const refs = u.references?.reference ?? [];
  const cves = [...new Set(refs.flatMap((r) => [r.id, r.title].filter((x): x is string => !!x && CVE.test(x.trim())).map((x) => x.trim())))];
  // Descriptions of some repositories name CVEs that the references leave out.
  for (const m of (u.description ?? '').matchAll(/CVE-\d{4}-\d{4,}/g)) if (!cves.includes(m[0])) cves.push(m[0]);
  if (u.type !== 'security' && cves.length === 0) return undefined;
  const fixed = new Map<string, { evr: string; arches: Set<string> }>();
  const rpm = schemes.rpm;
  for (const [ci, collection] of (u.pkglist?.collection ?? []).entries()) {
    for (const [pi, p] of (collection.package ?? []).entries()) {
      const pkg = updateinfoPackageSchema.safeParse(p);
      if (!pkg.success) {
        skip(`${label} package ${ci}.${pi}`, `unreadable package: ${reason(pkg.error)}`);
        continue;
      }
      const version = evr(pkg.data);
      const prev = fixed.get(pkg.data.name);
      if (!prev) fixed.set(pkg.data.name, { evr: version, arches: new Set(pkg.data.arch ? [pkg.data.arch] : []) });
      else {
        if (pkg.data.arch) prev.arches.add(pkg.data.arch);
        // Arches normally share one build; if not, the lowest fix is the one every arch has.
        if (rpm.compare(version, prev.evr) < 0) prev.evr = version;
      }
    }
  }
  if (fixed.size === 0) {
    skip(label, `${u.id} lists no packages`);
    return undefined;
  }
  const affected: OsvAffected[] = [...fixed].map(([name, f]) => ({
    package: { ecosystem, name, purl: purlFor(ecosystem, name) },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: f.evr }] }],
    ...(f.arches.size ? { ecosystem_specific: { arches: [...f.arches].sort() } } : {}),
  }));
  const issued = updateinfoDate(u.issued?.date);
  const updated = updateinfoDate(u.updated?.date) ?? issued;
  const severity = u.severity?.trim();
  return {
    id: u.id,
    modified: updated ?? '0001-01-01T00:00:00Z',
    ...(issued ? { published: issued } : {}),
    aliases: cves,
    ...(u.title?.trim() ? { summary: u.title.trim() } : {}),
    ...(u.description?.trim() ? { details: u.description.trim() } : {}),
    affected,
    references: [...new Set(refs.map((r) => r.href?.trim()).filter((h): h is string => !!h && /^https?:\/\//.test(h)))].map((url) => ({ type: 'ADVISORY', url })),
    database_specific: { source: 'updateinfo', type: u.type ?? 'unknown', ...(severity ? { severity } : {}), ...(u.status ? { status: u.status } : {}) },
  };
}

/** Parses a whole updateinfo document for one ecosystem. */
export function* parseUpdateinfo(name: string, xml: string, ecosystem: string, ctx: ImportContext): Iterable<OsvRecord> {
  // updateinfo never declares entities; a document that does is refused (entity expansion bombs).
  if (/<!ENTITY/i.test(xml)) {
    ctx.skip(name, 'declares XML entities, which updateinfo never does');
    return;
  }
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch (err) {
    ctx.skip(name, `not valid XML: ${reason(err)}`);
    return;
  }
  const parsed = updateinfoSchema.safeParse(doc);
  if (!parsed.success) {
    ctx.skip(name, `not an updateinfo document: ${reason(parsed.error)}`);
    return;
  }
  for (const [i, raw] of (parsed.data.updates.update ?? []).entries()) {
    const id = (raw as { id?: unknown }).id;
    const record = updateToOsv(raw, ecosystem, `${name}: update ${typeof id === 'string' ? id : `#${i}`}`, (item, why) => ctx.skip(item, why));
    if (record) yield record;
  }
}

/** The updateinfo importer; the source names the ecosystem with release. */
export const updateinfoImporter: Importer = {
  kind: 'updateinfo',
  version: 1,
  provides: 'advisories',
  wants: (name) => /(^|\/)([^/]*-)?updateinfo\.xml$/i.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    if (!ctx.ecosystem) {
      ctx.skip(entry.name, 'an updateinfo source must name its ecosystem and release (updateinfo=LOCATION#Amazon Linux:2023)');
      return;
    }
    for (const record of parseUpdateinfo(entry.name, entry.data.toString('utf8'), ctx.ecosystem, ctx)) yield { type: 'advisory', record };
  },
};
