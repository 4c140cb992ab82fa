/**
 * Findings as AWS Security Finding Format (ASFF): the `AwsSecurityFinding` shape that Security
 * Hub's BatchImportFindings takes in its `Findings` list (at most 100 per call).
 */
import { advisoryUrl } from '../../matching/output/sbom.js';
import type { PackageApiFinding as ApiFinding } from '../search.js';

/** Where the findings are filed in AWS: the account and region of the product ARN. */
export interface AsffTarget {
  /** The 12-digit AWS account the findings are imported into. */
  awsAccountId: string;
  /** The AWS region, e.g. `eu-west-1`. */
  awsRegion: string;
}

/** ASFF's `SchemaVersion`: the only one Security Hub accepts. */
export const ASFF_SCHEMA_VERSION = '2018-10-08';

/** An AWS account id and region as Security Hub accepts them. */
export const AWS_ACCOUNT_ID = /^\d{12}$/;
/** An AWS region name, e.g. `us-east-1`, `us-gov-west-1`. */
export const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

const LABEL: Record<ApiFinding['severity'], 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL'> = {
  CRITICAL: 'CRITICAL',
  HIGH: 'HIGH',
  MEDIUM: 'MEDIUM',
  LOW: 'LOW',
  INFORMATIONAL: 'INFORMATIONAL',
  // ASFF has no "not scored": INFORMATIONAL is its lowest, and Original keeps Vigil's word.
  UNTRIAGED: 'INFORMATIONAL',
};

const WORKFLOW: Record<ApiFinding['status'], 'NEW' | 'SUPPRESSED' | 'RESOLVED'> = { ACTIVE: 'NEW', SUPPRESSED: 'SUPPRESSED', CLOSED: 'RESOLVED' };

/** The package manager Security Hub names for an OSV ecosystem (`Debian:12` → `DEBIAN`). */
function packageManager(ecosystem: string): string {
  return ecosystem.split(':')[0].toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** Drops empty strings: every ASFF string is a NonEmptyString. */
function nonEmpty(s: string | undefined): string | undefined {
  return s && /\S/.test(s) ? s : undefined;
}

/** ASFF caps Title at 256 and Description at 1024 characters. */
function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** One finding as an `AwsSecurityFinding`. */
export function toAsff(f: ApiFinding, target: AsffTarget): Record<string, unknown> {
  const productArn = `arn:aws:securityhub:${target.awsRegion}:${target.awsAccountId}:product/${target.awsAccountId}/default`;
  const severity = { Label: LABEL[f.severity], Original: f.severity };
  const types = ['Software and Configuration Checks/Vulnerabilities/CVE'];
  const image = f.resource.image;
  const resourceId = image?.digest && image.repository ? `${image.registry ? `${image.registry}/` : ''}${image.repository}@${image.digest}` : f.resource.name;
  const fields: Record<string, string> = {
    'vigil/findingId': f.findingId,
    'vigil/accountId': f.accountId,
    'vigil/resourceId': f.resource.id,
    'vigil/score': String(f.score),
    'vigil/scoreSource': f.scoreSource,
    'vigil/ecosystem': f.package.ecosystem,
    'vigil/purl': f.package.purl,
  };
  if (f.kev) fields['vigil/kevDateAdded'] = f.kev.dateAdded;
  if (f.package.layer) fields['vigil/layer'] = f.package.layer;
  const pkg: Record<string, string> = { Name: f.package.name, Version: f.package.version, PackageManager: packageManager(f.package.ecosystem) };
  if (f.fixedVersion) pkg.FixedInVersion = f.fixedVersion;
  if (f.fixedVersion) pkg.Remediation = `Upgrade ${f.package.name} to ${f.fixedVersion} or later.`;
  if (f.package.layer) pkg.SourceLayerHash = f.package.layer;
  const filePath = nonEmpty(f.package.locations[0]);
  if (filePath) pkg.FilePath = filePath;
  const vendor = advisoryUrl(f.vulnerabilityId);
  const references = f.references.filter((u) => /^https?:\/\//.test(u));
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: `vigil/${f.findingId}`,
    ProductArn: productArn,
    ProductName: 'Vigil',
    CompanyName: 'Vigil',
    GeneratorId: `vigil/${f.package.ecosystem.split(':')[0]}`,
    AwsAccountId: target.awsAccountId,
    Types: types,
    FirstObservedAt: f.firstObservedAt,
    LastObservedAt: f.lastObservedAt,
    CreatedAt: f.firstObservedAt,
    UpdatedAt: f.updatedAt,
    Severity: severity,
    FindingProviderFields: { Severity: severity, Types: types },
    Title: clip(nonEmpty(f.title) ?? `${f.vulnerabilityId} in ${f.package.name}`, 256),
    Description: clip(nonEmpty(f.description) ?? nonEmpty(f.title) ?? f.vulnerabilityId, 1024),
    ...(f.fixedVersion ? { Remediation: { Recommendation: { Text: `Upgrade ${f.package.name} to ${f.fixedVersion} or later.` } } } : {}),
    ProductFields: fields,
    Resources: [
      {
        Type: f.resource.type === 'CONTAINER_IMAGE' ? 'Container' : 'Other',
        Id: resourceId,
        Details: { Other: { 'vigil/resourceType': f.resource.type, 'vigil/resourceName': f.resource.name } },
      },
    ],
    Vulnerabilities: [
      {
        Id: f.vulnerabilityId,
        VulnerablePackages: [pkg],
        ...(f.cvss ? { Cvss: [{ Version: f.cvss.version, BaseScore: f.cvss.baseScore, BaseVector: f.cvss.vector, Source: f.cvss.source }] } : {}),
        ...(f.aliases.length ? { RelatedVulnerabilities: f.aliases } : {}),
        Vendor: { Name: vendor.name, Url: vendor.url },
        ...(references.length ? { ReferenceUrls: references } : {}),
        FixAvailable: f.fixAvailable,
        ...(f.epss ? { EpssScore: f.epss.score } : {}),
        ExploitAvailable: f.exploited ? 'YES' : 'NO',
      },
    ],
    Workflow: { Status: WORKFLOW[f.status] },
    RecordState: f.status === 'CLOSED' ? 'ARCHIVED' : 'ACTIVE',
  };
}
