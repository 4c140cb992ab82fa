/**
 * The vocabulary of findings, shared by the store, the API and the dashboard.
 */

/** Kinds of resource Vigil keeps findings for. */
export const RESOURCE_TYPES = ['HOST', 'CONTAINER_IMAGE', 'REPOSITORY', 'PACKAGE_ARCHIVE'] as const;
/** A kind of resource. */
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Finding statuses. */
export const FINDING_STATUSES = ['ACTIVE', 'SUPPRESSED', 'CLOSED'] as const;
/** A finding's status. */
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** Finding types: a vulnerable package, or a port the internet reaches where a process listens. */
export const FINDING_TYPES = ['PACKAGE_VULNERABILITY', 'NETWORK_REACHABILITY'] as const;
/** A finding's type. */
export type FindingType = (typeof FINDING_TYPES)[number];

/** Severities, lowest first; the index is the stored `severity_rank`. */
export const SEVERITIES = ['UNTRIAGED', 'INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

/** Sort rank of a severity (UNTRIAGED 0 … CRITICAL 5). */
export function severityRank(severity: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(severity);
  return i < 0 ? 0 : i;
}

/** Converts epoch milliseconds to the API's ISO-8601 form. */
export function iso(ms: number | null | undefined): string | undefined {
  return ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
}
