/**
 * `vigil scan --vex FILE`: statements that a vulnerability does not affect a package, or is
 * fixed in it, move the finding to `suppressed` with the statement as the reason; `affected`
 * and `under_investigation` statements stay open and carry the statement as a note.
 */
import { readFileSync } from 'node:fs';
import type { ScanResult } from '../matching/types.js';
import { describeStatement, findStatement, suppresses } from './match.js';
import { readVexDocument, VexError, type VexDocument } from './read.js';

/** Largest VEX file read (a VEX document is statements, not an SBOM). */
const MAX_VEX_BYTES = 32 * 1024 * 1024;

/** Reads a VEX file; errors name it. */
export function readVexFile(path: string): VexDocument {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_VEX_BYTES) throw new Error(`larger than ${MAX_VEX_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (err) {
    throw new VexError(path, (err as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new VexError(path, `not JSON: ${(err as Error).message}`);
  }
  return readVexDocument(json, path);
}

/** The result with the documents' statements applied. */
export function applyVexToScan(result: ScanResult, docs: readonly VexDocument[]): ScanResult {
  const findings: ScanResult['findings'] = [];
  const suppressed = [...result.suppressed];
  for (const f of result.findings) {
    const hit = findStatement(docs, f);
    if (!hit) {
      findings.push(f);
      continue;
    }
    const line = describeStatement(hit.doc, hit.statement);
    if (suppresses(hit.statement.status)) suppressed.push({ id: f.id, package: f.package.purl, reason: line });
    else findings.push({ ...f, notes: [...(f.notes ?? []), line] });
  }
  return { ...result, findings, suppressed };
}
