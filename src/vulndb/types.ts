/**
 * The advisory model: OSV records (https://ossf.github.io/osv-schema/), as every importer
 * normalises them, plus the enrichment joined to them by CVE id and aliases.
 */

/** One event of an OSV range. Exactly one key is set. */
export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

/** An OSV `affected[].ranges[]` entry. */
export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT' | (string & {});
  repo?: string;
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

/** An OSV `affected[]` entry. */
export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

/** An OSV severity entry: a CVSS vector (or Ubuntu priority word) and its type. */
export interface OsvSeverity {
  type: 'CVSS_V2' | 'CVSS_V3' | 'CVSS_V4' | 'Ubuntu' | (string & {});
  score: string;
}

/** An OSV record as imported. */
export interface OsvRecord {
  schema_version?: string;
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  related?: string[];
  upstream?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: { type: string; url: string }[];
  credits?: unknown[];
  database_specific?: Record<string, unknown>;
}

/** Where a CVSS vector came from. */
export type CvssSource = 'vendor' | 'nvd' | 'cisa-adp' | 'ghsa' | 'osv' | 'cna';

/** One CVSS vector with its origin. */
export interface CvssVector {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  baseScore: number;
  source: CvssSource;
}

/** CISA Known Exploited Vulnerabilities entry. */
export interface KevEntry {
  cveId: string;
  dateAdded: string;
  dueDate?: string;
  knownRansomwareCampaignUse?: string;
  vendorProject?: string;
  product?: string;
  vulnerabilityName?: string;
  requiredAction?: string;
}

/** FIRST EPSS score. */
export interface EpssScore {
  cveId: string;
  score: number;
  percentile: number;
  date?: string;
}

/** Enrichment for one CVE id: CVSS from NVD / CISA-ADP / CNA, CWE, KEV and EPSS. */
export interface Enrichment {
  cveId: string;
  cvss: CvssVector[];
  cwes: string[];
  references: string[];
  kev?: KevEntry;
  epss?: EpssScore;
}

/**
 * A vulnerability as a lookup returns it: the OSV records that alias each other merged
 * under one primary id (the CVE when there is one), with enrichment.
 */
export interface Vulnerability {
  id: string;
  aliases: string[];
  records: OsvRecord[];
  enrichment: Enrichment[];
  withdrawn: boolean;
}

/** An advisory record as the index returns it for a package lookup. */
export interface IndexedAdvisory {
  /**
   * The full record. Indexes may load it on first access (the SQLite index does): read
   * {@link id}, {@link withdrawn} and {@link affected} first when they are enough.
   */
  record: OsvRecord;
  /** `record.id`, when the index can give it without loading the record. */
  id?: string;
  /** Whether `record` is withdrawn, when the index can tell without loading the record. */
  withdrawn?: boolean;
  /**
   * When the index loads `record` and `affected` lazily: `affected` reduced to what range
   * evaluation reads (range types and events, versions), entry for entry in the same order, so
   * that matching loads the full entries only for a match. `package` may be left out (every
   * entry names the looked-up package), and so may listed versions that the ranges already
   * place inside them (no verdict changes).
   */
  match?: OsvAffected[];
  /** The `affected` entries of `record` that name the looked-up package. */
  affected: OsvAffected[];
  /**
   * Primary ids of the vulnerabilities this record counts toward: one for most records; one
   * per CVE for a bundle (a DSA fixing several CVEs). Set by the SQLite index.
   */
  vulnerabilities?: string[];
}

/** One (ecosystem, package) pair touched by a database update. */
export interface ChangedPackage {
  ecosystem: string;
  name: string;
}

/**
 * Read access to the local advisory database, as matching and the service use it.
 * Lookups are by OSV ecosystem (with release for distributions) and normalised name.
 */
export interface AdvisoryIndex {
  /** Advisories naming this package; distro ecosystems match their release exactly. */
  advisoriesFor(ecosystem: string, name: string): IndexedAdvisory[];
  /** The merged vulnerability for any id or alias. */
  vulnerability(id: string): Vulnerability | undefined;
  /** Enrichment for these CVE ids (missing ones are left out). */
  enrichment(cveIds: readonly string[]): Enrichment[];
  /**
   * Optional: every normalised package name that has advisories in this ecosystem (with
   * release for distributions), so that matching can skip lookups that would find nothing.
   * Undefined when the index cannot tell; matching then looks every package up.
   */
  packageNames?(ecosystem: string): ReadonlySet<string> | undefined;
  /**
   * Optional: what the index holds per ecosystem (with release for distributions), so that a
   * scan can say which of its ecosystems have no data. Undefined when the index cannot tell.
   */
  coverage?(): readonly EcosystemCoverage[];
}

/**
 * What the database holds for one ecosystem as the index keys it (`Debian:12`,
 * `Ubuntu:22.04:LTS`, `Amazon Linux:2023`, `npm`): counted at each update, read by scans to
 * say which ecosystems of an inventory have no data.
 */
export interface EcosystemCoverage {
  ecosystem: string;
  /** Advisory records naming a package of this ecosystem, withdrawn ones included. */
  advisories: number;
  /** Of those, withdrawn. */
  withdrawn: number;
  /** Distinct package names with advisories. */
  packages: number;
  /** The sources the records came from. */
  sources: string[];
  /** The newest `modified` of those records. */
  newestModified?: string;
  /** When one of those sources last changed (imported new or changed records). */
  changedAt?: string;
}
