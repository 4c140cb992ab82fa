/**
 * Findings reports as CSV, JSON, OCSF Vulnerability Finding events or AWS Security Finding
 * Format, streamed: one page of rows in memory at a time.
 */
import { Readable } from 'node:stream';
import type { Db } from '../db/connect.js';
import type { FilterCriteria } from './criteria.js';
import type { AccountScope } from './scope.js';
import { VIGIL_VERSION } from '../inventory/sbom/common.js';
import { toAsff, type AsffTarget } from './formats/asff.js';
import { toOcsf } from './formats/ocsf.js';
import { iterateFindings, type ApiFinding, type SortCriteria } from './search.js';

/** Export formats. */
export const EXPORT_FORMATS = ['csv', 'json', 'ocsf', 'asff'] as const;
/** An export format. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What a format needs beyond the findings: ASFF names the AWS account and region it files into. */
export interface ExportOptions {
  asff?: AsffTarget;
}

/** The media type and file extension of each format. */
export const EXPORT_MEDIA: Record<ExportFormat, { type: string; ext: string }> = {
  csv: { type: 'text/csv; charset=utf-8', ext: 'csv' },
  json: { type: 'application/json; charset=utf-8', ext: 'json' },
  ocsf: { type: 'application/json; charset=utf-8', ext: 'ocsf.json' },
  asff: { type: 'application/json; charset=utf-8', ext: 'asff.json' },
};

/** The CSV columns, in order, and how each is read from a finding. */
export const CSV_COLUMNS: [string, (f: ApiFinding) => string | number | boolean | undefined][] = [
  ['findingId', (f) => f.findingId],
  ['accountId', (f) => f.accountId],
  ['status', (f) => f.status],
  ['type', (f) => f.type],
  ['vulnerabilityId', (f) => f.vulnerabilityId],
  ['aliases', (f) => f.aliases.join(' ')],
  ['title', (f) => f.title],
  ['severity', (f) => f.severity],
  ['score', (f) => f.score],
  ['epss', (f) => f.epss?.score],
  ['exploited', (f) => f.exploited],
  ['fixAvailable', (f) => f.fixAvailable],
  ['fixedVersion', (f) => f.fixedVersion],
  ['packageEcosystem', (f) => f.package?.ecosystem],
  ['packageName', (f) => f.package?.name],
  ['packageVersion', (f) => f.package?.version],
  ['layer', (f) => f.package?.layer],
  ['resourceType', (f) => f.resource.type],
  ['resourceId', (f) => f.resource.id],
  ['resourceName', (f) => f.resource.name],
  ['imageRepository', (f) => f.resource.image?.repository],
  ['imageDigest', (f) => f.resource.image?.digest],
  ['firstObservedAt', (f) => f.firstObservedAt],
  ['lastObservedAt', (f) => f.lastObservedAt],
  ['updatedAt', (f) => f.updatedAt],
  ['closedAt', (f) => f.closedAt],
  ['networkProtocol', (f) => (f.type === 'NETWORK_REACHABILITY' ? f.networkReachabilityDetails.protocol : undefined)],
  ['portBegin', (f) => (f.type === 'NETWORK_REACHABILITY' ? f.networkReachabilityDetails.openPortRange.begin : undefined)],
  ['portEnd', (f) => (f.type === 'NETWORK_REACHABILITY' ? f.networkReachabilityDetails.openPortRange.end : undefined)],
  ['dueAt', (f) => f.dueAt],
  ['slaStatus', (f) => f.slaStatus],
];

/** Quotes a CSV field when it needs it (RFC 4180); neutralises spreadsheet formulas. */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let s = String(value);
  // A cell starting with = + - @ runs as a formula in spreadsheets: prefix a quote.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * How one finding reads in a JSON-array format; undefined leaves it out. OCSF's Vulnerability
 * Finding and ASFF's package vulnerabilities describe packages, so network exposures are
 * exported in CSV and JSON only (docs/exports.md).
 */
function jsonItem(format: Exclude<ExportFormat, 'csv'>, options: ExportOptions): (f: ApiFinding) => unknown {
  if (format === 'ocsf') return (f) => (f.type === 'PACKAGE_VULNERABILITY' ? toOcsf(f, VIGIL_VERSION) : undefined);
  if (format === 'asff') {
    const target = options.asff;
    if (!target) throw new Error('the asff format needs an AWS account id and region');
    return (f) => (f.type === 'PACKAGE_VULNERABILITY' ? toAsff(f, target) : undefined);
  }
  return (f) => f;
}

async function* lines(db: Db, scope: AccountScope, criteria: FilterCriteria, format: ExportFormat, sort: SortCriteria | undefined, options: ExportOptions): AsyncGenerator<string> {
  if (format === 'csv') {
    yield CSV_COLUMNS.map(([name]) => name).join(',') + '\r\n';
    for await (const f of iterateFindings(db, scope, criteria, sort)) yield CSV_COLUMNS.map(([, get]) => csvField(get(f))).join(',') + '\r\n';
    return;
  }
  const item = jsonItem(format, options);
  yield '[';
  let first = true;
  for await (const f of iterateFindings(db, scope, criteria, sort)) {
    const value = item(f);
    if (value === undefined) continue;
    yield (first ? '\n' : ',\n') + JSON.stringify(value);
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/** A readable stream of the report. */
export function exportFindings(db: Db, scope: AccountScope, criteria: FilterCriteria, format: ExportFormat, sort?: SortCriteria, options: ExportOptions = {}): Readable {
  // Checked before the first byte: a missing AWS target is the caller's error, not a broken stream.
  if (format === 'asff' && !options.asff) throw new Error('the asff format needs an AWS account id and region');
  return Readable.from(lines(db, scope, criteria, format, sort, options), { objectMode: false });
}
