/**
 * Filter criteria for findings: what search, aggregation, export and suppression rules
 * share. Vigil's own field names, plus Amazon Inspector's FilterCriteria names accepted as
 * aliases (see docs/api.md for the mapping). Within one field, EQUALS and PREFIX filters
 * are alternatives (OR) and NOT_EQUALS filters all apply (AND); different fields all apply.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import type { DialectName } from '../db/migrations/types.js';
import { FINDING_STATUSES, FINDING_TYPES, RESOURCE_TYPES, SEVERITIES, severityRank } from './model.js';
import { SLA_STATUSES, admittedStatuses, slaStatusSql, type SlaClock } from './sla.js';

const MAX_FILTERS_PER_FIELD = 20;

/** A string comparison. */
export const stringFilterSchema = z
  .object({
    comparison: z.enum(['EQUALS', 'NOT_EQUALS', 'PREFIX']),
    value: z.string().min(1).max(1024),
  })
  .strict();
/** A string comparison. */
export type StringFilter = z.infer<typeof stringFilterSchema>;

/** An inclusive number range; either end may be open. */
export const numberFilterSchema = z
  .object({ lowerInclusive: z.number().optional(), upperInclusive: z.number().optional() })
  .strict();
/** An inclusive number range. */
export type NumberFilter = z.infer<typeof numberFilterSchema>;

/**
 * A date: an ISO-8601 string, or a number of epoch seconds (as Inspector's JSON sends) or
 * milliseconds (values of 1e11 and more).
 */
const dateValue = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? (Math.abs(v) < 1e11 ? v * 1000 : v) : Date.parse(v);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: `not a date: ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

/** An inclusive date range; either end may be open. */
export const dateFilterSchema = z.object({ startInclusive: dateValue.optional(), endInclusive: dateValue.optional() }).strict();
/** An inclusive date range, in epoch milliseconds once parsed. */
export interface DateFilter {
  startInclusive?: number;
  endInclusive?: number;
}

/** A resource tag filter: the resource has (EQUALS) or has not (NOT_EQUALS) this tag. */
export const mapFilterSchema = z
  .object({ comparison: z.enum(['EQUALS', 'NOT_EQUALS']).default('EQUALS'), key: z.string().min(1).max(256), value: z.string().max(1024).optional() })
  .strict();
/** A resource tag filter. */
export type MapFilter = z.infer<typeof mapFilterSchema>;

/** Inspector's PortRangeFilter: ports inclusive, either end may be open. */
const portRangeFilterSchema = z
  .object({ beginInclusive: z.number().int().min(0).max(65535).optional(), endInclusive: z.number().int().min(0).max(65535).optional() })
  .strict();

/** Inspector's PackageFilter: the parts of a package, all of which must match. */
const packageFilterSchema = z
  .object({
    name: stringFilterSchema.optional(),
    version: stringFilterSchema.optional(),
    sourceLayerHash: stringFilterSchema.optional(),
    ecosystem: stringFilterSchema.optional(),
  })
  .strict();

const strings = z.array(stringFilterSchema).max(MAX_FILTERS_PER_FIELD).optional();
const numbers = z.array(numberFilterSchema).max(MAX_FILTERS_PER_FIELD).optional();
const dates = z.array(dateFilterSchema).max(MAX_FILTERS_PER_FIELD).optional();

/** String fields and the column each filters. */
export const STRING_FIELDS = {
  findingId: 'id',
  vulnerabilityId: 'vulnerability_id',
  title: 'title',
  accountId: 'account_id',
  resourceId: 'resource_id',
  resourceType: 'resource_type',
  resourceName: 'resource_name',
  packageName: 'package_name',
  packageEcosystem: 'package_ecosystem',
  packageVersion: 'package_version',
  imageRegistry: 'image_registry',
  imageRepository: 'image_repository',
  imageDigest: 'image_digest',
  layer: 'layer',
  status: 'status',
  severity: 'severity',
  fixAvailable: 'fix_available',
  exploited: 'exploited',
  findingType: 'type',
  networkProtocol: 'network_protocol',
  origin: 'origin',
} as const;

/** A string field of the criteria. */
export type StringField = keyof typeof STRING_FIELDS | 'imageTag' | 'slaStatus';

/** Allowed values of enumerated fields (checked for EQUALS and NOT_EQUALS). */
const ENUM_VALUES: Partial<Record<StringField, readonly string[]>> = {
  resourceType: RESOURCE_TYPES,
  status: FINDING_STATUSES,
  severity: SEVERITIES,
  fixAvailable: ['YES', 'NO', 'PARTIAL'],
  exploited: ['YES', 'NO'],
  findingType: FINDING_TYPES,
  networkProtocol: ['tcp', 'udp', 'all'],
  origin: ['BASE_IMAGE', 'APPLICATION'],
  slaStatus: SLA_STATUSES,
};

/** Inspector's resource type names, mapped to Vigil's. */
const INSPECTOR_RESOURCE_TYPES: Record<string, string> = {
  AWS_EC2_INSTANCE: 'HOST',
  AWS_ECR_CONTAINER_IMAGE: 'CONTAINER_IMAGE',
  CODE_REPOSITORY: 'REPOSITORY',
};

/** The criteria in Vigil's names (the normalised form stored with suppression rules). */
export const filterCriteriaSchema = z
  .object({
    findingId: strings,
    vulnerabilityId: strings,
    title: strings,
    accountId: strings,
    resourceId: strings,
    resourceType: strings,
    resourceName: strings,
    packageName: strings,
    packageEcosystem: strings,
    packageVersion: strings,
    imageRegistry: strings,
    imageRepository: strings,
    imageDigest: strings,
    imageTag: strings,
    layer: strings,
    status: strings,
    severity: strings,
    fixAvailable: strings,
    exploited: strings,
    findingType: strings,
    networkProtocol: strings,
    /** Network findings whose open range overlaps one of these port ranges (Inspector's PortRangeFilter). */
    portRange: z.array(portRangeFilterSchema).max(MAX_FILTERS_PER_FIELD).optional(),
    origin: strings,
    resourceTags: z.array(mapFilterSchema).max(MAX_FILTERS_PER_FIELD).optional(),
    vulnerablePackages: z.array(packageFilterSchema).max(MAX_FILTERS_PER_FIELD).optional(),
    score: numbers,
    epss: numbers,
    firstObservedAt: dates,
    lastObservedAt: dates,
    updatedAt: dates,
    /** SLA status (src/findings/sla.ts): judged against the policy and the clock when the query runs. */
    slaStatus: strings,
  })
  .strict();

/** Parsed filter criteria (dates in epoch milliseconds). */
export type FilterCriteria = z.output<typeof filterCriteriaSchema>;

/** Inspector FilterCriteria names that mean a Vigil field under another name. */
export const INSPECTOR_ALIASES: Record<string, keyof FilterCriteria> = {
  findingArn: 'findingId',
  awsAccountId: 'accountId',
  findingStatus: 'status',
  inspectorScore: 'score',
  epssScore: 'epss',
  exploitAvailable: 'exploited',
  ecrImageRegistry: 'imageRegistry',
  ecrImageRepositoryName: 'imageRepository',
  ecrImageTags: 'imageTag',
  ecrImageHash: 'imageDigest',
};

/** Inspector FilterCriteria names Vigil has no data for: rejected with a clear message. */
const INSPECTOR_UNSUPPORTED = [
  'ec2InstanceImageId', 'ec2InstanceVpcId', 'ec2InstanceSubnetId', 'ecrImagePushedAt', 'ecrImageArchitecture',
  'componentId', 'componentType', 'vulnerabilitySource', 'vendorSeverity',
  'relatedVulnerabilities', 'lambdaFunctionName', 'lambdaFunctionLayers', 'lambdaFunctionRuntime',
  'lambdaFunctionLastModifiedAt', 'lambdaFunctionExecutionRoleArn', 'codeVulnerabilityDetectorName',
  'codeVulnerabilityDetectorTags', 'codeVulnerabilityFilePath', 'ecrImageLastInUseAt', 'ecrImageInUseCount',
  'codeRepositoryProjectName', 'codeRepositoryProviderType',
];

/** Criteria as given to the API: Vigil or Inspector names. */
export const filterCriteriaInputSchema = z
  .record(z.string(), z.unknown())
  .transform((input, ctx) => {
    const renamed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      if (INSPECTOR_UNSUPPORTED.includes(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `filter ${key} is not supported by Vigil` });
        continue;
      }
      const target = INSPECTOR_ALIASES[key] ?? key;
      if (renamed[target] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `filter ${key} repeats ${target}` });
        continue;
      }
      renamed[target] = target === 'resourceType' && Array.isArray(value) ? value.map(mapResourceType) : value;
    }
    return renamed;
  })
  .pipe(filterCriteriaSchema)
  .superRefine((criteria, ctx) => {
    for (const [field, allowed] of Object.entries(ENUM_VALUES)) {
      const filters = criteria[field as keyof FilterCriteria] as StringFilter[] | undefined;
      for (const [i, f] of (filters ?? []).entries()) {
        if (f.comparison !== 'PREFIX' && !allowed!.includes(f.value)) {
          ctx.addIssue({ code: 'custom', path: [field, i, 'value'], message: `${field} must be one of ${allowed!.join(', ')}; got ${f.value}` });
        }
      }
    }
  });

function mapResourceType(filter: unknown): unknown {
  if (filter && typeof filter === 'object' && 'value' in filter && typeof filter.value === 'string') {
    const mapped = INSPECTOR_RESOURCE_TYPES[filter.value];
    if (mapped) return { ...filter, value: mapped };
  }
  return filter;
}

/** Parses API criteria (either naming), throwing a ZodError that names the bad field. */
export function parseCriteria(input: unknown): FilterCriteria {
  return filterCriteriaInputSchema.parse(input ?? {});
}

/** Escapes a prefix for LIKE (PostgreSQL) or GLOB (SQLite), both case-sensitive. */
function prefixPredicate(column: RawBuilder<unknown>, prefix: string, dialect: DialectName): RawBuilder<SqlBool> {
  if (dialect === 'sqlite') {
    const glob = prefix.replace(/[[*?]/g, (c) => `[${c}]`);
    return sql<SqlBool>`${column} GLOB ${glob + '*'}`;
  }
  const like = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<SqlBool>`${column} LIKE ${like + '%'}`;
}

function stringPredicate(column: RawBuilder<unknown>, filters: StringFilter[], dialect: DialectName, toValue: (v: string) => unknown = (v) => v): RawBuilder<SqlBool>[] {
  const anyOf: RawBuilder<SqlBool>[] = [];
  const all: RawBuilder<SqlBool>[] = [];
  for (const f of filters) {
    if (f.comparison === 'EQUALS') anyOf.push(sql<SqlBool>`${column} = ${toValue(f.value)}`);
    else if (f.comparison === 'PREFIX') anyOf.push(prefixPredicate(column, f.value, dialect));
    // NULL columns (no image, no layer) differ from every value.
    else all.push(sql<SqlBool>`(${column} IS NULL OR ${column} <> ${toValue(f.value)})`);
  }
  // A value asked for implies one, said outright: a planner reads a partial index (rows with a
  // value only, migration 0020) only for a statement proving its condition, and SQLite's does
  // not take a GLOB of a bound prefix as proof.
  if (anyOf.length > 0) all.push(sql<SqlBool>`${column} IS NOT NULL`);
  if (anyOf.length === 1) all.push(anyOf[0]);
  else if (anyOf.length > 1) all.push(sql<SqlBool>`(${sql.join(anyOf, sql` OR `)})`);
  return all;
}

function rangePredicates(column: RawBuilder<unknown>, ranges: { lo?: number; hi?: number }[]): RawBuilder<SqlBool>[] {
  const anyOf: RawBuilder<SqlBool>[] = [];
  for (const r of ranges) {
    const parts: RawBuilder<SqlBool>[] = [];
    if (r.lo !== undefined) parts.push(sql<SqlBool>`${column} >= ${r.lo}`);
    if (r.hi !== undefined) parts.push(sql<SqlBool>`${column} <= ${r.hi}`);
    if (parts.length === 0) parts.push(sql<SqlBool>`${column} IS NOT NULL`);
    anyOf.push(parts.length === 1 ? parts[0] : sql<SqlBool>`(${sql.join(parts, sql` AND `)})`);
  }
  if (anyOf.length === 0) return [];
  return [anyOf.length === 1 ? anyOf[0] : sql<SqlBool>`(${sql.join(anyOf, sql` OR `)})`];
}

/**
 * Compiles criteria to a boolean SQL expression over the `findings` table (unaliased).
 * An empty criteria matches everything. An `slaStatus` filter needs the SLA policy and the
 * time to judge at (`sla`).
 */
export function criteriaSql(criteria: FilterCriteria, dialect: DialectName, sla?: SlaClock): RawBuilder<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = [];
  for (const [field, column] of Object.entries(STRING_FIELDS)) {
    const filters = criteria[field as keyof typeof STRING_FIELDS];
    if (!filters || filters.length === 0) continue;
    if (field === 'severity' && filters.every((f) => f.comparison !== 'PREFIX')) {
      // The rank column is what the (account, status, severity_rank, …) indexes hold.
      parts.push(...stringPredicate(sql.ref('findings.severity_rank'), filters, dialect, (v) => severityRank(v)));
      continue;
    }
    const ref = sql.ref(`findings.${column}`);
    const toValue = field === 'exploited' ? (v: string) => (v === 'YES' ? 1 : v === 'NO' ? 0 : -1) : undefined;
    if (field === 'exploited' && filters.some((f) => f.comparison === 'PREFIX')) {
      parts.push(...stringPredicate(sql`(CASE WHEN findings.exploited = 1 THEN 'YES' ELSE 'NO' END)`, filters, dialect));
      continue;
    }
    parts.push(...stringPredicate(ref, filters, dialect, toValue));
  }
  if (criteria.imageTag?.length) {
    // A resource has several tags: EQUALS/PREFIX ask for some tag matching (alternatives),
    // NOT_EQUALS for no tag equal to the value.
    const tagRef = sql.ref('resource_image_tags.tag');
    const hasTag = (cond: RawBuilder<SqlBool>) =>
      sql<SqlBool>`EXISTS (SELECT 1 FROM resource_image_tags WHERE resource_image_tags.resource_id = findings.resource_id AND ${cond})`;
    const positive: RawBuilder<SqlBool>[] = [];
    for (const f of criteria.imageTag) {
      if (f.comparison === 'NOT_EQUALS') parts.push(sql<SqlBool>`NOT ${hasTag(sql<SqlBool>`${tagRef} = ${f.value}`)}`);
      else positive.push(hasTag(f.comparison === 'PREFIX' ? prefixPredicate(tagRef, f.value, dialect) : sql<SqlBool>`${tagRef} = ${f.value}`));
    }
    if (positive.length) parts.push(positive.length === 1 ? positive[0] : sql<SqlBool>`(${sql.join(positive, sql` OR `)})`);
  }
  for (const tag of criteria.resourceTags ?? []) {
    const valueCond = tag.value === undefined ? sql`` : sql` AND resource_tags.value = ${tag.value}`;
    const exists = sql<SqlBool>`EXISTS (SELECT 1 FROM resource_tags WHERE resource_tags.resource_id = findings.resource_id AND resource_tags.key = ${tag.key}${valueCond})`;
    parts.push(tag.comparison === 'NOT_EQUALS' ? sql<SqlBool>`NOT ${exists}` : exists);
  }
  if (criteria.vulnerablePackages?.length) {
    const alternatives = criteria.vulnerablePackages.map((p) => {
      const conds: RawBuilder<SqlBool>[] = [];
      if (p.name) conds.push(...stringPredicate(sql.ref('findings.package_name'), [p.name], dialect));
      if (p.version) conds.push(...stringPredicate(sql.ref('findings.package_version'), [p.version], dialect));
      if (p.sourceLayerHash) conds.push(...stringPredicate(sql.ref('findings.layer'), [p.sourceLayerHash], dialect));
      if (p.ecosystem) conds.push(...stringPredicate(sql.ref('findings.package_ecosystem'), [p.ecosystem], dialect));
      return conds.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(conds, sql` AND `)})`;
    });
    parts.push(alternatives.length === 1 ? alternatives[0] : sql<SqlBool>`(${sql.join(alternatives, sql` OR `)})`);
  }
  if (criteria.portRange?.length) {
    // A finding's open range [port_begin, port_end] overlaps the filter's range.
    const alternatives = criteria.portRange.map((r) => {
      const conds: RawBuilder<SqlBool>[] = [sql<SqlBool>`findings.port_begin IS NOT NULL`];
      if (r.endInclusive !== undefined) conds.push(sql<SqlBool>`findings.port_begin <= ${r.endInclusive}`);
      if (r.beginInclusive !== undefined) conds.push(sql<SqlBool>`findings.port_end >= ${r.beginInclusive}`);
      return sql<SqlBool>`(${sql.join(conds, sql` AND `)})`;
    });
    parts.push(alternatives.length === 1 ? alternatives[0]! : sql<SqlBool>`(${sql.join(alternatives, sql` OR `)})`);
  }
  parts.push(...rangePredicates(sql.ref('findings.score'), (criteria.score ?? []).map((r) => ({ lo: r.lowerInclusive, hi: r.upperInclusive }))));
  parts.push(...rangePredicates(sql.ref('findings.epss'), (criteria.epss ?? []).map((r) => ({ lo: r.lowerInclusive, hi: r.upperInclusive }))));
  for (const [field, column] of [['firstObservedAt', 'first_observed_at'], ['lastObservedAt', 'last_observed_at'], ['updatedAt', 'updated_at']] as const) {
    parts.push(...rangePredicates(sql.ref(`findings.${column}`), (criteria[field] ?? []).map((r) => ({ lo: r.startInclusive, hi: r.endInclusive }))));
  }
  if (criteria.slaStatus?.length) {
    if (!sla) throw new Error('slaStatus filters need the SLA policy; they are not accepted here');
    parts.push(slaStatusSql(admittedStatuses(criteria.slaStatus), sla));
  }
  if (parts.length === 0) return sql<SqlBool>`1 = 1`;
  return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}

/** True when criteria filter nothing (an empty rule would suppress everything). */
export function isEmptyCriteria(criteria: FilterCriteria): boolean {
  return Object.values(criteria).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));
}
