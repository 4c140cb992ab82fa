/**
 * CVSS vectors: their version, their base score (computed with ae-cvss-calculator, never
 * trusted from the feed), and the vectors of a merged vulnerability with their sources.
 */
import cvss from 'ae-cvss-calculator';
import { BoundedCache } from '../bounded-cache.js';
import type { CvssSource, CvssVector, OsvRecord, OsvSeverity, Vulnerability } from './types.js';

const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvss;

/** The CVSS version a vector string is written in, or undefined when it is not CVSS. */
export function cvssVersionOf(vector: string): CvssVector['version'] | undefined {
  const v = vector.trim();
  if (v.startsWith('CVSS:4.0/')) return '4.0';
  if (v.startsWith('CVSS:3.1/')) return '3.1';
  if (v.startsWith('CVSS:3.0/')) return '3.0';
  if (/^(\()?AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(v)) return '2.0';
  return undefined;
}

// Advisories repeat the same few thousand vectors; computing a v4.0 score is not free.
const scoreCache = new BoundedCache<string, number | null>(20_000);

/** The base score of a vector, or undefined when the vector is not valid CVSS. */
export function cvssBaseScore(vector: string): number | undefined {
  const key = vector.trim();
  const cached = scoreCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  let score: number | null = null;
  try {
    const version = cvssVersionOf(key);
    const v2 = key.replace(/^\((.*)\)$/, '$1');
    const calc =
      version === '4.0' ? new Cvss4P0(key) : version === '3.1' ? new Cvss3P1(key) : version === '3.0' ? new Cvss3P0(key) : version === '2.0' ? new Cvss2(v2) : undefined;
    const base = calc?.calculateScores().base;
    if (typeof base === 'number' && Number.isFinite(base)) score = base;
  } catch {
    score = null;
  }
  scoreCache.set(key, score);
  return score ?? undefined;
}

/** A vector with its version and computed score, or undefined when it cannot be scored. */
export function toCvssVector(vector: string, source: CvssSource): CvssVector | undefined {
  const version = cvssVersionOf(vector);
  if (!version) return undefined;
  const baseScore = cvssBaseScore(vector);
  if (baseScore === undefined) return undefined;
  return { version, vector: vector.trim(), baseScore, source };
}

/** Which source an OSV record's own severity counts as: GHSA records are GitHub's. */
export function osvSeveritySource(record: OsvRecord): CvssSource {
  return record.id.startsWith('GHSA-') ? 'ghsa' : 'osv';
}

/** The CVSS vectors of OSV severity entries (Ubuntu priority words and bad vectors left out). */
export function vectorsFromSeverity(severity: readonly OsvSeverity[] | undefined, source: CvssSource): CvssVector[] {
  const out: CvssVector[] = [];
  for (const s of severity ?? []) {
    if (!s.type.startsWith('CVSS_')) continue;
    const v = toCvssVector(s.score, source);
    if (v) out.push(v);
  }
  return out;
}

/**
 * Every CVSS vector known for a merged vulnerability: each record's own (record and affected
 * level) and every enrichment's, without duplicates of the same (source, vector).
 */
export function cvssVectorsFor(vuln: Pick<Vulnerability, 'records' | 'enrichment'>): CvssVector[] {
  const seen = new Set<string>();
  const out: CvssVector[] = [];
  const add = (v: CvssVector): void => {
    const key = `${v.source} ${v.vector}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(v);
  };
  for (const r of vuln.records) {
    const source = osvSeveritySource(r);
    for (const v of vectorsFromSeverity(r.severity, source)) add(v);
    for (const a of r.affected ?? []) for (const v of vectorsFromSeverity(a.severity, source)) add(v);
  }
  for (const e of vuln.enrichment) for (const v of e.cvss) add(v);
  return out;
}
