/**
 * CVSS vectors parsed and scored with `ae-cvss-calculator`, for every version Vigil meets:
 * v2 (NVD's older records), v3.0, v3.1 and v4.0.
 */
import cvss from 'ae-cvss-calculator';

const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvss;

/** The CVSS versions Vigil scores. */
export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

/** A vector that parsed and scored. */
export interface ScoredCvss {
  version: CvssVersion;
  /** The vector as the calculator normalises it (v2 without prefix, others with `CVSS:x.y/`). */
  vector: string;
  baseScore: number;
}

/** Thrown for a vector string the calculator cannot score; names the input. */
export class InvalidCvssError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid CVSS vector "${input}": ${reason}`);
    this.name = 'InvalidCvssError';
  }
}

type AnyCvss = InstanceType<typeof Cvss2> | InstanceType<typeof Cvss3P0> | InstanceType<typeof Cvss3P1> | InstanceType<typeof Cvss4P0>;

/** The version a vector string declares (`CVSS:3.1/…`), or 2.0 for the unprefixed v2 form. */
export function cvssVersionOf(vector: string): CvssVersion | undefined {
  const trimmed = stripV2Decoration(vector.trim());
  const prefix = /^CVSS:(\d\.\d)\//.exec(trimmed);
  if (!prefix) return /^AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(trimmed) ? '2.0' : undefined;
  const v = prefix[1];
  return v === '2.0' || v === '3.0' || v === '3.1' || v === '4.0' ? v : undefined;
}

// NVD and some feeds write v2 vectors as `(AV:N/…)` or with a `CVSS:2.0/` prefix the
// calculator does not accept; both mean the same plain v2 vector.
function stripV2Decoration(vector: string): string {
  let v = vector;
  if (v.startsWith('(') && v.endsWith(')')) v = v.slice(1, -1);
  if (v.startsWith('CVSS:2.0/')) v = v.slice('CVSS:2.0/'.length);
  return v;
}

function instantiate(version: CvssVersion, vector: string): AnyCvss {
  switch (version) {
    case '2.0':
      return new Cvss2(vector);
    case '3.0':
      return new Cvss3P0(vector);
    case '3.1':
      return new Cvss3P1(vector);
    case '4.0':
      return new Cvss4P0(vector);
  }
}

function scoreOf(version: CvssVersion, input: string, instance: AnyCvss): ScoredCvss {
  const scores = instance.calculateScores() as { base?: number };
  // A vector missing base metrics parses but has no base score: treat it as invalid rather
  // than as a score of zero, which would read as "informational".
  if (typeof scores.base !== 'number' || Number.isNaN(scores.base)) {
    throw new InvalidCvssError(input, 'base metrics missing or not valid');
  }
  return { version, vector: instance.toString(), baseScore: scores.base };
}

function parseInstance(vector: string): { version: CvssVersion; instance: AnyCvss } {
  const version = cvssVersionOf(vector);
  if (!version) throw new InvalidCvssError(vector, 'not a CVSS v2, v3.0, v3.1 or v4.0 vector');
  const body = version === '2.0' ? stripV2Decoration(vector.trim()) : vector.trim();
  let instance: AnyCvss;
  try {
    instance = instantiate(version, body);
  } catch (err) {
    throw new InvalidCvssError(vector, err instanceof Error ? err.message : String(err));
  }
  return { version, instance };
}

// Advisories repeat a few thousand vectors across tens of thousands of findings; scoring one
// (v4.0 especially) is not free. Bounded so a hostile feed cannot grow it without end.
const scoreCache = new Map<string, ScoredCvss | InvalidCvssError>();
const SCORE_CACHE_LIMIT = 50_000;

function cached(key: string, compute: () => ScoredCvss): ScoredCvss {
  let hit = scoreCache.get(key);
  if (hit === undefined) {
    try {
      hit = compute();
    } catch (err) {
      if (!(err instanceof InvalidCvssError)) throw err;
      hit = err;
    }
    if (scoreCache.size >= SCORE_CACHE_LIMIT) scoreCache.clear();
    scoreCache.set(key, hit);
  }
  if (hit instanceof InvalidCvssError) throw hit;
  return hit;
}

/** Parses and scores a vector; throws {@link InvalidCvssError} naming the input. */
export function scoreCvss(vector: string): ScoredCvss {
  return cached(vector, () => {
    const { version, instance } = parseInstance(vector);
    return scoreOf(version, vector, instance);
  });
}

/** Like {@link scoreCvss}, but `undefined` for a vector that does not score. */
export function tryScoreCvss(vector: string): ScoredCvss | undefined {
  try {
    return scoreCvss(vector);
  } catch {
    return undefined;
  }
}

/** The value of one base metric (`AV` → `N`), or undefined when the vector does not set it. */
export function cvssMetric(vector: string, metric: string): string | undefined {
  const body = stripV2Decoration(vector.trim());
  for (const part of body.split('/')) {
    const colon = part.indexOf(':');
    if (colon > 0 && part.slice(0, colon) === metric) return part.slice(colon + 1);
  }
  return undefined;
}

/** The vector with one metric changed, scored again (e.g. `AV:N` → `AV:A`). */
export function withCvssMetric(vector: string, metric: string, value: string): ScoredCvss {
  return cached(`${vector}\u0000${metric}:${value}`, () => {
    const { version, instance } = parseInstance(vector);
    try {
      instance.applyComponentString(metric, value);
    } catch (err) {
      throw new InvalidCvssError(vector, `cannot set ${metric}:${value}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return scoreOf(version, vector, instance);
  });
}
