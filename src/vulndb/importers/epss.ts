/**
 * FIRST EPSS scores → enrichment by CVE id. Two layouts: FIRST's daily
 * `epss_scores-YYYY-MM-DD.csv(.gz)` (a `#model_version:…,score_date:…` comment line, then
 * `cve,epss,percentile`), and the per-year `CVE_<year>_EPSS.csv` files with no header and
 * `CVE-ID;epss;percentile` lines. Rows are checked by hand: there are hundreds of thousands.
 */
import { z } from 'zod';
import type { ImportItem, Importer } from './types.js';

/** The comment line FIRST puts on top of its daily files. */
export const epssHeaderSchema = z.object({ model_version: z.string().optional(), score_date: z.string().optional() });

const CVE = /^CVE-\d{4}-\d+$/;

function parseHeader(line: string): { date?: string } {
  const fields: Record<string, string> = {};
  for (const part of line.replace(/^#/, '').split(',')) {
    const i = part.indexOf(':');
    if (i > 0) fields[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  const h = epssHeaderSchema.parse(fields);
  return { date: h.score_date?.slice(0, 10) };
}

/** The EPSS importer. */
export const epssImporter: Importer = {
  kind: 'epss',
  version: 1,
  provides: 'enrichment',
  wants: (name) => /\.csv$/i.test(name),
  *parse(entry, ctx): Iterable<ImportItem> {
    let date = /(\d{4}-\d\d-\d\d)/.exec(entry.name.split('/').pop() ?? '')?.[1];
    const text = entry.data.toString('utf8');
    let lineNo = 0;
    for (const rawLine of text.split('\n')) {
      lineNo++;
      const line = rawLine.trim();
      if (!line) continue;
      if (line.startsWith('#')) {
        date = parseHeader(line).date ?? date;
        continue;
      }
      const cols = line.split(line.includes(';') ? ';' : ',');
      if (cols[0] === 'cve') continue; // the column header of FIRST's layout
      const [cveId, epssText, pctText] = cols;
      const score = Number(epssText);
      const percentile = Number(pctText);
      if (!CVE.test(cveId ?? '') || cols.length < 3 || !(score >= 0 && score <= 1) || !(percentile >= 0 && percentile <= 1) || epssText === '' || pctText === '') {
        ctx.skip(`${entry.name}:${lineNo}`, `not an EPSS row: "${line.slice(0, 80)}"`);
        continue;
      }
      yield { type: 'enrichment', item: { cveId, epss: { cveId, score, percentile, ...(date ? { date } : {}) } } };
    }
  },
};
