/**
 * Breaks a CVSS vector into its named base metrics with ae-cvss-calculator, which knows
 * every version's metric names, values and descriptions. Loaded on demand by the finding
 * panel so the rest of the app does not carry it.
 */
import cvss from 'ae-cvss-calculator';

const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvss;

/** One base metric of a vector. */
export interface CvssMetric {
  short: string;
  name: string;
  group?: string;
  value: string;
  valueName: string;
  description: string;
}

/** The base metrics of `vector` (v2, v3.0, v3.1 or v4.0) and the score they give; throws on a malformed vector. */
export function cvssMetrics(vector: string): { version: string; metrics: CvssMetric[]; baseScore: number | undefined } {
  const v = vector.startsWith('CVSS:4.0/')
    ? new Cvss4P0(vector)
    : vector.startsWith('CVSS:3.1/')
      ? new Cvss3P1(vector)
      : vector.startsWith('CVSS:3.0/')
        ? new Cvss3P0(vector)
        : new Cvss2(vector.replace(/^\(|\)$/g, ''));
  const components = v.getComponents();
  const [, base] = [...v.getRegisteredComponents().entries()][0] ?? [];
  const metrics: CvssMetric[] = [];
  for (const c of base ?? []) {
    const val = components.get(c);
    if (!val || val.shortName === 'X') continue;
    metrics.push({ short: c.shortName, name: c.name, group: c.subCategory, value: val.shortName, valueName: val.name, description: val.description });
  }
  const scores = v.calculateScores() as { base?: number; overall: number };
  return { version: v.getVectorName(), metrics, baseScore: scores.base ?? scores.overall };
}
