/**
 * The findings filter as the user sees it, and its two encodings: the query string (so a
 * view can be shared) and the API's filter criteria. Text fields take `value` (equals),
 * `value*` (prefix) or `!value` (not equals); ranges are `min-max` (either side optional)
 * and date ranges `from..to`.
 */
import type { DateFilter, FilterCriteria, NumberFilter, StringFilter } from './api.js';

/** A filter field's kind decides its control and its encoding. */
export type FieldKind = 'enum' | 'text' | 'number' | 'date' | 'bool';

/** One filterable field. */
export interface FilterField {
  /** Query-string key. */
  param: string;
  label: string;
  kind: FieldKind;
  criteria: keyof FilterCriteria;
  options?: readonly string[];
  placeholder?: string;
}

/** Every field of the filter bar, in display order. */
export const FILTER_FIELDS: readonly FilterField[] = [
  { param: 'severity', label: 'Severity', kind: 'enum', criteria: 'severity', options: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'] },
  { param: 'status', label: 'Status', kind: 'enum', criteria: 'status', options: ['ACTIVE', 'SUPPRESSED', 'CLOSED'] },
  { param: 'type', label: 'Resource type', kind: 'enum', criteria: 'resourceType', options: ['CONTAINER_IMAGE', 'HOST', 'REPOSITORY', 'PACKAGE_ARCHIVE'] },
  { param: 'fix', label: 'Fix available', kind: 'enum', criteria: 'fixAvailable', options: ['YES', 'PARTIAL', 'NO'] },
  { param: 'kev', label: 'Exploited (KEV)', kind: 'bool', criteria: 'exploited' },
  { param: 'vuln', label: 'Vulnerability', kind: 'text', criteria: 'vulnerabilityId', placeholder: 'CVE-2024-… or GHSA-…*' },
  { param: 'pkg', label: 'Package', kind: 'text', criteria: 'packageName', placeholder: 'openssl, lodash*' },
  { param: 'ecosystem', label: 'Ecosystem', kind: 'text', criteria: 'packageEcosystem', placeholder: 'Debian:12, npm' },
  { param: 'resource', label: 'Resource', kind: 'text', criteria: 'resourceId', placeholder: 'resource id' },
  { param: 'repo', label: 'Repository', kind: 'text', criteria: 'imageRepository', placeholder: 'team/app*' },
  { param: 'layer', label: 'Layer', kind: 'text', criteria: 'layer', placeholder: 'sha256:…' },
  { param: 'account', label: 'Account', kind: 'text', criteria: 'accountId', placeholder: 'account id' },
  { param: 'score', label: 'Score', kind: 'number', criteria: 'score', placeholder: '7-10' },
  { param: 'epss', label: 'EPSS', kind: 'number', criteria: 'epss', placeholder: '0.1-1' },
  { param: 'first', label: 'First observed', kind: 'date', criteria: 'firstObservedAt' },
  { param: 'last', label: 'Last observed', kind: 'date', criteria: 'lastObservedAt' },
  { param: 'updated', label: 'Updated', kind: 'date', criteria: 'updatedAt' },
  { param: 'findingType', label: 'Finding type', kind: 'enum', criteria: 'findingType', options: ['PACKAGE_VULNERABILITY', 'NETWORK_REACHABILITY'] },
  { param: 'sla', label: 'SLA status', kind: 'enum', criteria: 'slaStatus', options: ['BREACHED', 'DUE_SOON', 'WITHIN'] },
  { param: 'origin', label: 'Origin (images)', kind: 'enum', criteria: 'origin', options: ['BASE_IMAGE', 'APPLICATION'] },
];

/** Query keys that are page state but not filters. */
export const NON_FILTER_PARAMS = ['group', 'sort', 'finding', 'page', 'cursor'];

function textFilter(raw: string): StringFilter {
  if (raw.startsWith('!')) return { comparison: 'NOT_EQUALS', value: raw.slice(1) };
  if (raw.endsWith('*')) return { comparison: 'PREFIX', value: raw.slice(0, -1) };
  return { comparison: 'EQUALS', value: raw };
}

function numberRange(raw: string): NumberFilter | undefined {
  const m = /^\s*([0-9.]*)\s*-\s*([0-9.]*)\s*$/.exec(raw) ?? /^\s*([0-9.]+)\s*$/.exec(raw);
  if (!m) return undefined;
  const lo = m[1] ? Number(m[1]) : undefined;
  const hi = m[2] !== undefined ? (m[2] ? Number(m[2]) : undefined) : lo;
  if ((lo !== undefined && Number.isNaN(lo)) || (hi !== undefined && Number.isNaN(hi))) return undefined;
  return { lowerInclusive: lo, upperInclusive: hi };
}

function dateRange(raw: string): DateFilter | undefined {
  const [from, to] = raw.split('..');
  const out: DateFilter = {};
  if (from) out.startInclusive = new Date(`${from}T00:00:00Z`).toISOString();
  if (to) out.endInclusive = new Date(`${to}T23:59:59.999Z`).toISOString();
  return out.startInclusive || out.endInclusive ? out : undefined;
}

/** Turns the query string into API filter criteria; unknown or malformed values are left out. */
export function criteriaFromParams(params: URLSearchParams): FilterCriteria {
  const c: Record<string, unknown[]> = {};
  for (const f of FILTER_FIELDS) {
    const raw = params.get(f.param);
    if (!raw) continue;
    if (f.kind === 'enum') {
      const values = raw.split(',').filter((v) => f.options?.includes(v));
      if (values.length) c[f.criteria] = values.map((value) => ({ comparison: 'EQUALS', value }));
    } else if (f.kind === 'bool') {
      c[f.criteria] = [{ comparison: 'EQUALS', value: raw === 'no' ? 'NO' : 'YES' }];
    } else if (f.kind === 'text') {
      c[f.criteria] = raw.split(',').map((v) => v.trim()).filter(Boolean).map(textFilter);
    } else if (f.kind === 'number') {
      const r = numberRange(raw);
      if (r) c[f.criteria] = [r];
    } else {
      const r = dateRange(raw);
      if (r) c[f.criteria] = [r];
    }
  }
  return c as FilterCriteria;
}

/** The filter part of the query string (for links that keep the filter but change the page). */
export function filterParams(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FILTER_FIELDS) {
    const v = params.get(f.param);
    if (v) out[f.param] = v;
  }
  return out;
}

/** A short human description of the active filters, e.g. for a rule's default name. */
export function describeFilter(params: URLSearchParams): string {
  const parts: string[] = [];
  for (const f of FILTER_FIELDS) {
    const v = params.get(f.param);
    if (v) parts.push(`${f.label}: ${f.kind === 'bool' ? (v === 'no' ? 'no' : 'yes') : v}`);
  }
  return parts.join('; ');
}

/** Query-string form of criteria (the reverse of {@link criteriaFromParams}), for showing a rule's filter as a link. */
export function paramsFromCriteria(c: FilterCriteria): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FILTER_FIELDS) {
    const list = c[f.criteria] as unknown[] | undefined;
    if (!list?.length) continue;
    if (f.kind === 'enum') out[f.param] = (list as StringFilter[]).map((s) => s.value).join(',');
    else if (f.kind === 'bool') out[f.param] = (list as StringFilter[])[0].value === 'NO' ? 'no' : 'yes';
    else if (f.kind === 'text')
      out[f.param] = (list as StringFilter[])
        .map((s) => (s.comparison === 'PREFIX' ? `${s.value}*` : s.comparison === 'NOT_EQUALS' ? `!${s.value}` : s.value))
        .join(',');
    else if (f.kind === 'number') {
      const r = (list as NumberFilter[])[0];
      out[f.param] = `${r.lowerInclusive ?? ''}-${r.upperInclusive ?? ''}`;
    } else {
      // Stored rules hold dates as epoch milliseconds; requests as ISO strings.
      const r = (list as { startInclusive?: string | number; endInclusive?: string | number }[])[0];
      const day = (v: string | number | undefined): string => (v === undefined ? '' : new Date(v).toISOString().slice(0, 10));
      out[f.param] = `${day(r.startInclusive)}..${day(r.endInclusive)}`;
    }
  }
  return out;
}
