/**
 * Reads the third-party version vectors in `../shared/testdata/versions/` (see its README):
 * UTF-8 TSV, `#` comments, `\t` `\n` `\r` escaped inside fields.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../helpers/cli.js';

/** The vectors folder. */
export const versionsDir = join(sharedDir, 'testdata', 'versions');

/** One data row: its fields (unescaped), the raw line and its 1-based line number. */
export interface VectorRow {
  fields: string[];
  line: string;
  lineNo: number;
}

/** Undoes the README's escaping of TAB, LF and CR inside fields. */
export function unescapeField(s: string): string {
  return s.replace(/\\([tnr])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\r'));
}

/** The data rows of one vector file. */
export function readVectorRows(file: string): VectorRow[] {
  const rows: VectorRow[] = [];
  const lines = readFileSync(join(versionsDir, file), 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    rows.push({ fields: line.split('\t').map(unescapeField), line, lineNo: i + 1 });
  });
  return rows;
}

/** Every vector file, relative to {@link versionsDir} (`debian/dpkg__Dpkg_Version.t.tsv`, …). */
export function listVectorFiles(): string[] {
  const out: string[] = [];
  for (const folder of readdirSync(versionsDir).sort()) {
    const dir = join(versionsDir, folder);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) out.push(`${folder}/${f}`);
  }
  return out;
}
