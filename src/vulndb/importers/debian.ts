/**
 * Debian security-tracker advisory lists (`data/DSA/list`, `data/DLA/list`) → OSV records
 * keyed by source package and release (`Debian:11`). The format is line based:
 *
 *     [29 Mar 2023] DSA-5380-1 xorg-server - security update
 *     	{CVE-2023-1393}
 *     	[bullseye] - xorg-server 2:1.20.11-1+deb11u6
 *     	NOTE: …
 */
import type { OsvAffected, OsvRecord } from '../types.js';
import type { ImportItem, Importer } from './types.js';

/** Debian release code names → the version OSV's `Debian:<version>` uses. */
export const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4.0',
  lenny: '5.0',
  squeeze: '6.0',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

const MONTHS: Record<string, string> = { Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06', Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12' };

// The text after the id is "<packages> - <title>", or a notice without packages
// ("jessie end-of-life"); spacing varies in old entries.
const HEADER = /^\[(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})\]\s+((?:DSA|DLA|DTSA)-\d+(?:-\d+)?)\s+(.*?)\s*$/;
const PACKAGE_LINE = /^\[([a-z-]+)\]\s+-\s+(\S+)(?:\s+(\S+))?(?:\s+\(([^)]*)\))?\s*$/;
/** Status words that mean "this release is affected and has no fix". */
const UNFIXED = new Set(['<unfixed>', '<end-of-life>', '<no-dsa>', '<ignored>', '<postponed>']);

interface Draft {
  id: string;
  line: number;
  published: string;
  title: string;
  headerPackage: string;
  cves: string[];
  notes: string[];
  affected: OsvAffected[];
}

/** Parses one DSA/DLA list; malformed lines are reported through `skip`. */
export function parseDebianList(name: string, text: string, skip: (item: string, why: string) => void): OsvRecord[] {
  const out: OsvRecord[] = [];
  let cur: Draft | undefined;
  const flush = (): void => {
    if (!cur) return;
    out.push({
      id: cur.id,
      modified: cur.published,
      published: cur.published,
      aliases: cur.cves,
      summary: cur.headerPackage ? `${cur.headerPackage}: ${cur.title}` : cur.title,
      ...(cur.notes.length ? { details: cur.notes.join('\n') } : {}),
      affected: cur.affected,
      references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${cur.id}` }],
      database_specific: { source: 'debian-security-tracker', list: name, line: cur.line },
    });
    cur = undefined;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (!raw.trim()) continue;
    const header = HEADER.exec(raw);
    if (header) {
      flush();
      const [, day, mon, year, id, rest] = header;
      const dash = rest.indexOf(' - ');
      const pkg = dash < 0 ? '' : rest.slice(0, dash).trim();
      const title = dash < 0 ? rest : rest.slice(dash + 3).trim();
      const month = MONTHS[mon];
      if (!month) {
        skip(`${name}:${i + 1}`, `unknown month "${mon}" in "${raw}"`);
        continue;
      }
      cur = { id, line: i + 1, published: `${year}-${month}-${day.padStart(2, '0')}T00:00:00Z`, title, headerPackage: pkg, cves: [], notes: [], affected: [] };
      continue;
    }
    const line = raw.trim();
    if (!cur) {
      skip(`${name}:${i + 1}`, `line outside any advisory: "${line}"`);
      continue;
    }
    if (line.startsWith('{')) {
      for (const cve of line.replace(/[{}]/g, ' ').split(/\s+/)) if (/^CVE-\d{4}-\d+$/.test(cve) && !cur.cves.includes(cve)) cur.cves.push(cve);
      continue;
    }
    if (line.startsWith('NOTE:')) {
      cur.notes.push(line.slice(5).trim());
      continue;
    }
    const pkgLine = PACKAGE_LINE.exec(line);
    if (!pkgLine) {
      skip(`${name}:${i + 1}`, `unreadable line in ${cur.id}: "${line}"`);
      continue;
    }
    const [, codename, source, version, note] = pkgLine;
    const release = DEBIAN_RELEASES[codename];
    if (!release) {
      skip(`${name}:${i + 1}`, `${cur.id}: unknown Debian release "${codename}"`);
      continue;
    }
    if (!version || version === '<not-affected>' || version === '<removed>') continue;
    const ecosystem = `Debian:${release}`;
    const unfixed = UNFIXED.has(version);
    if (version.startsWith('<') && !unfixed) {
      skip(`${name}:${i + 1}`, `${cur.id}: unknown status "${version}"`);
      continue;
    }
    cur.affected.push({
      package: { ecosystem, name: source, purl: `pkg:deb/debian/${source}?arch=source&distro=${codename}` },
      ranges: [{ type: 'ECOSYSTEM', events: unfixed ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed: version }] }],
      ...(note || unfixed ? { database_specific: { ...(note ? { note } : {}), ...(unfixed ? { status: version } : {}) } } : {}),
    });
  }
  flush();
  return out;
}

/** The Debian DSA/DLA list importer. */
export const debianImporter: Importer = {
  kind: 'debian',
  version: 1,
  provides: 'advisories',
  ecosystem: 'Debian',
  // `DSA-list`, `DLA-list`, or the tracker's own `data/DSA/list`.
  wants: (name) => /(^|\/)(D[SL]A-list|D[SL]A\/list|list)(\.txt)?$/i.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    for (const record of parseDebianList(entry.name, entry.data.toString('utf8'), (item, why) => ctx.skip(item, why))) {
      yield { type: 'advisory', record };
    }
  },
};
