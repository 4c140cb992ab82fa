/**
 * Alpine secdb (JSON or YAML, one file per branch and repository) → OSV records in
 * `Alpine:vX.Y`. secdb says "version V fixes these ids"; each id becomes one record per
 * branch and repository, with one affected entry per package (introduced 0, fixed V).
 */
import { parse as parseYaml } from 'yaml';
import type { OsvAffected, OsvRecord } from '../types.js';
import { alpineSecdbSchema } from './alpine-schema.js';
import { reason, type ImportItem, type Importer } from './types.js';

/** A vulnerability id as secdb writes them: CVE-2019-1234, XSA-254, GHSA-…. */
export const ALPINE_ID = /^[A-Z][A-Z0-9]*-[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;

/** Converts one parsed secdb file into records (one per vulnerability id). */
export function alpineToOsv(path: string, db: ReturnType<typeof alpineSecdbSchema.parse>, skip: (item: string, why: string) => void = () => {}): OsvRecord[] {
  const branch = db.distroversion.startsWith('v') || db.distroversion === 'edge' ? db.distroversion : `v${db.distroversion}`;
  const ecosystem = `Alpine:${branch}`;
  const byId = new Map<string, { affected: OsvAffected[]; notAffected: string[] }>();
  for (const { pkg } of db.packages ?? []) {
    for (const [version, ids] of Object.entries(pkg.secfixes ?? {})) {
      for (const line of ids ?? []) {
        // Entries are "CVE-2019-1234", sometimes several per line, sometimes with a note in
        // parentheses; placeholders ("CVE-????-?????") and typos are reported, not guessed at.
        const tokens = line.replace(/\([^)]*\)/g, ' ').split(/\s+/).filter(Boolean);
        for (const bad of tokens.filter((t) => !ALPINE_ID.test(t))) skip(`${path}: ${pkg.name} ${version}`, `unreadable vulnerability id "${bad}"`);
        for (const id of tokens.filter((t) => ALPINE_ID.test(t))) {
          const slot = byId.get(id) ?? { affected: [], notAffected: [] };
          byId.set(id, slot);
          // secdb writes "0" for "this branch never shipped a vulnerable version".
          if (version === '0') {
            slot.notAffected.push(pkg.name);
            continue;
          }
          slot.affected.push({
            package: { ecosystem, name: pkg.name, purl: `pkg:apk/alpine/${pkg.name}?distro=alpine-${branch.replace(/^v/, '')}` },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: version }] }],
          });
        }
      }
    }
  }
  const repoPart = db.reponame === 'main' ? '' : `-${db.reponame}`;
  const out: OsvRecord[] = [];
  for (const [id, slot] of byId) {
    out.push({
      id: `ALPINE-${branch}${repoPart}-${id}`,
      modified: '0001-01-01T00:00:00Z',
      aliases: [id],
      summary: `${id} fixed in Alpine ${branch} ${db.reponame}`,
      affected: slot.affected,
      database_specific: { source: 'alpine-secdb', path, branch, repository: db.reponame, ...(slot.notAffected.length ? { not_affected: slot.notAffected } : {}) },
    });
  }
  return out;
}

/** The Alpine secdb importer. */
export const alpineImporter: Importer = {
  kind: 'alpine',
  version: 1,
  provides: 'advisories',
  ecosystem: 'Alpine',
  wants: (name) => /\.(json|ya?ml)$/i.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    let raw: unknown;
    const yaml = /\.ya?ml$/i.test(entry.name);
    try {
      raw = yaml ? parseYaml(entry.data.toString('utf8'), { schema: 'failsafe' }) : JSON.parse(entry.data.toString('utf8'));
    } catch (err) {
      ctx.skip(entry.name, `not valid ${yaml ? 'YAML' : 'JSON'}: ${reason(err)}`);
      return;
    }
    const parsed = alpineSecdbSchema.safeParse(raw);
    if (!parsed.success) {
      ctx.skip(entry.name, `not an Alpine secdb file: ${reason(parsed.error)}`);
      return;
    }
    for (const record of alpineToOsv(entry.name, parsed.data, (item, why) => ctx.skip(item, why))) yield { type: 'advisory', record };
  },
};
