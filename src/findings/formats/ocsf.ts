/**
 * Findings as OCSF Vulnerability Finding events (class 2002, category Findings), one event per
 * finding, in the schema version named by {@link OCSF_VERSION}.
 */
import { advisoryUrl } from '../../matching/output/sbom.js';
import type { PackageApiFinding as ApiFinding } from '../search.js';

/** The OCSF schema version the events declare (`resources` replaced `resource` in 1.3.0). */
export const OCSF_VERSION = '1.3.0';
/** Findings category. */
export const OCSF_CATEGORY_UID = 2;
/** Vulnerability Finding class: category × 1000 + 2. */
export const OCSF_CLASS_UID = 2002;

const SEVERITY_ID: Record<ApiFinding['severity'], number> = { UNTRIAGED: 0, INFORMATIONAL: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
const SEVERITY_NAME = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical'];
const STATUS: Record<ApiFinding['status'], [number, string]> = { ACTIVE: [1, 'New'], SUPPRESSED: [3, 'Suppressed'], CLOSED: [4, 'Resolved'] };

/** Create when the finding has not changed since it was opened, Close when it is closed, else Update. */
function activity(f: ApiFinding): [number, string] {
  if (f.status === 'CLOSED') return [3, 'Close'];
  return f.updatedAt === f.firstObservedAt ? [1, 'Create'] : [2, 'Update'];
}

const ms = (iso: string): number => Date.parse(iso);

/** One finding as an OCSF Vulnerability Finding event. */
export function toOcsf(f: ApiFinding, productVersion: string): Record<string, unknown> {
  const [activityId, activityName] = activity(f);
  const [statusId, statusName] = STATUS[f.status];
  const severityId = SEVERITY_ID[f.severity];
  const references = f.references.filter((u) => /^https?:\/\//.test(u));
  const remediation = f.fixedVersion ? `Upgrade ${f.package.name} to ${f.fixedVersion} or later.` : f.fixAvailable === 'NO' ? 'No fix is available yet.' : undefined;
  return {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: OCSF_CATEGORY_UID,
    category_name: 'Findings',
    class_uid: OCSF_CLASS_UID,
    class_name: 'Vulnerability Finding',
    type_uid: OCSF_CLASS_UID * 100 + activityId,
    type_name: `Vulnerability Finding: ${activityName}`,
    severity_id: severityId,
    severity: SEVERITY_NAME[severityId],
    status_id: statusId,
    status: statusName,
    time: ms(f.updatedAt),
    message: `${f.vulnerabilityId} in ${f.package.name} ${f.package.version} on ${f.resource.name}`,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Vigil', uid: 'vigil', version: productVersion },
      uid: f.findingId,
      log_name: 'findings',
      log_provider: 'Vigil',
    },
    finding_info: {
      uid: f.findingId,
      title: f.title || `${f.vulnerabilityId} in ${f.package.name}`,
      ...(f.description ? { desc: f.description } : {}),
      types: ['Vulnerability'],
      created_time: ms(f.firstObservedAt),
      first_seen_time: ms(f.firstObservedAt),
      last_seen_time: ms(f.lastObservedAt),
      modified_time: ms(f.updatedAt),
    },
    resources: [
      {
        uid: f.resource.id,
        name: f.resource.name,
        type: f.resource.type,
        ...(f.resource.image?.digest ? { version: f.resource.image.digest } : {}),
        owner: { account: { uid: f.accountId } },
      },
    ],
    vulnerabilities: [
      {
        // OCSF has one identifier slot for advisories: advisories without a CVE (GHSA, DSA…) go
        // there too, so that each vulnerability still names what it is.
        cve: {
          uid: f.vulnerabilityId,
          title: f.title,
          ...(f.cvss
            ? { cvss: [{ version: f.cvss.version, base_score: f.cvss.baseScore, vector_string: f.cvss.vector, severity: f.severity === 'UNTRIAGED' ? undefined : SEVERITY_NAME[severityId] }] }
            : {}),
          ...(f.epss ? { epss: { score: String(f.epss.score), percentile: f.epss.percentile } } : {}),
          references: [advisoryUrl(f.vulnerabilityId).url],
        },
        title: f.title,
        ...(f.description ? { desc: f.description } : {}),
        severity: SEVERITY_NAME[severityId],
        vendor_name: 'Vigil',
        affected_packages: [
          {
            name: f.package.name,
            version: f.package.version,
            purl: f.package.purl,
            package_manager: f.package.ecosystem,
            type_id: /:/.test(f.package.ecosystem) ? 2 : 1,
          },
        ],
        ...(references.length ? { references } : {}),
        is_fix_available: f.fixAvailable !== 'NO',
        is_exploit_available: f.exploited,
        ...(remediation ? { remediation: { desc: remediation } } : {}),
        ...(f.aliases.length ? { related_vulnerabilities: f.aliases } : {}),
        first_seen_time: ms(f.firstObservedAt),
        last_seen_time: ms(f.lastObservedAt),
      },
    ],
    unmapped: {
      score: f.score,
      score_source: f.scoreSource,
      fix_available: f.fixAvailable,
      ...(f.fixedVersion ? { fixed_version: f.fixedVersion } : {}),
      ...(f.kev ? { kev_date_added: f.kev.dateAdded } : {}),
      ...(f.suppressedBy ? { suppressed_by: f.suppressedBy } : {}),
    },
  };
}
