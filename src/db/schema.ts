/**
 * The service's tables as Kysely sees them. Timestamps are epoch milliseconds (integer on
 * SQLite, bigint on PostgreSQL, read back as numbers); booleans are 0/1 integers and JSON
 * is text on both dialects, so one query runs unchanged on either.
 *
 * Adding a table: declare its row interface here, add it to {@link Database}, and create it
 * in a new migration registered in `migrations/index.ts`.
 */
import type { Generated } from 'kysely';

/** Organization-wide settings, one JSON value per key (prices, retention, names). */
export interface SettingsTable {
  key: string;
  value: string;
}

/** One account of the organization; exactly one is the delegated administrator. */
export interface AccountsTable {
  id: string;
  name: string;
  /** 1 for the delegated administrator account, which reads and manages every account. */
  delegated_admin: number;
  created_at: number;
}

/** An API key: the principal. Only a hash of the secret is stored. */
export interface ApiKeysTable {
  id: string;
  account_id: string;
  role: string;
  name: string;
  /** SHA-256 of the secret part, hex. */
  secret_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** A scanned thing: host, container image, repository or package archive. */
export interface ResourcesTable {
  id: string;
  account_id: string;
  type: string;
  /** Unique per account and type: host name, `registry/repository@digest`, repository URL, archive name. */
  name: string;
  image_registry: string | null;
  image_repository: string | null;
  image_digest: string | null;
  /** Image tags, JSON array (also rows of `resource_image_tags`, for filtering). */
  image_tags: string;
  /** Key/value tags, JSON object (also rows of `resource_tags`, for filtering). */
  tags: string;
  os: string | null;
  created_at: number;
  updated_at: number;
  last_scan_at: number | null;
  /** Outcome of the last scan: SUCCESSFUL, NO_INVENTORY, UNSUPPORTED_OS or SCAN_FAILED. */
  last_scan_status: string | null;
  last_scan_error: string | null;
  /** What the last scan could not judge (ecosystems without data, unknown OS, end of life), in words; null when nothing. */
  coverage_detail: string | null;
  inventory_version: number;
}

/** Key/value tags of a resource, one row each, for filters. */
export interface ResourceTagsTable {
  resource_id: string;
  key: string;
  value: string;
}

/** Image tags of a container-image resource, one row each, for filters. */
export interface ResourceImageTagsTable {
  resource_id: string;
  tag: string;
}

/** Stored inventories, versioned per resource, kept for re-evaluation. */
export interface InventoriesTable {
  resource_id: string;
  version: number;
  account_id: string;
  created_at: number;
  package_count: number;
  /** The Vigil inventory JSON (`Inventory` from `src/inventory/types.ts`). */
  inventory: string;
}

/**
 * The inverted index: which resources' latest inventory holds a package, by OSV ecosystem
 * and normalised name (source package names of distro packages too). Rewritten with each
 * new inventory, so an advisory update finds the inventories to re-match.
 */
export interface InventoryPackagesTable {
  ecosystem: string;
  name: string;
  resource_id: string;
  account_id: string;
}

/** One scan of one resource: submitted inventory, pulled image or re-evaluation. */
export interface ScansTable {
  id: string;
  account_id: string;
  resource_id: string;
  /** SUBMITTED (inventory posted), PULLED (server pulled an image) or REEVALUATION. */
  trigger: string;
  /** IMAGE_SCAN, IMAGE_RESCAN or NONE: what usage it counts as. */
  billing: string;
  status: string;
  inventory_version: number | null;
  package_count: number;
  finding_count: number;
  created_at: number;
  error: string | null;
  /** Warnings of the scan result, JSON array. */
  warnings: string;
}

/** Periods during which a host was covered by scanning, for host-hour usage. */
export interface HostCoverageTable {
  id: Generated<number>;
  resource_id: string;
  account_id: string;
  started_at: number;
  last_seen_at: number;
}

/**
 * One finding per (resource, package, vulnerability). The filterable facts are copied into
 * columns (denormalised) so search and aggregation never join; `detail` keeps the scan's
 * whole `Finding` JSON.
 */
export interface FindingsTable {
  id: string;
  account_id: string;
  resource_id: string;
  resource_type: string;
  resource_name: string;
  /** Hash of (ecosystem, package, version, vulnerability): unique per resource. */
  finding_key: string;
  type: string;
  status: string;
  suppressed_by: string | null;
  vulnerability_id: string;
  title: string;
  package_name: string;
  package_ecosystem: string;
  package_version: string;
  fixed_version: string | null;
  fix_available: string;
  layer: string | null;
  image_registry: string | null;
  image_repository: string | null;
  image_digest: string | null;
  severity: string;
  /** 0 (UNTRIAGED) … 5 (CRITICAL), for sorting. */
  severity_rank: number;
  score: number;
  epss: number | null;
  /** EPSS or -1 when unknown: a non-null sort key. */
  epss_rank: number;
  exploited: number;
  first_observed_at: number;
  last_observed_at: number;
  updated_at: number;
  closed_at: number | null;
  detail: string;
  /**
   * NETWORK_REACHABILITY findings: `tcp`, `udp` or `all`; NULL on package findings. The three
   * network columns are optional here so code building package rows need not name them.
   */
  network_protocol?: string | null;
  /** NETWORK_REACHABILITY findings: the open port range, inclusive; NULL on package findings. */
  port_begin?: number | null;
  port_end?: number | null;
  /** BASE_IMAGE or APPLICATION when the image's base is known (migration 0012); null otherwise. */
  origin?: string | null;
}

/** The timeline of a finding: every state change, with why. */
export interface FindingEventsTable {
  id: Generated<number>;
  finding_id: string;
  account_id: string;
  at: number;
  /** CREATED, CLOSED, REOPENED, SUPPRESSED, UNSUPPRESSED, UPDATED. */
  event: string;
  /** JSON object: scan id, rule id, changed fields. */
  detail: string;
}

/** Suppression rules: criteria, reason, optional expiry and VEX-style justification. */
export interface SuppressionRulesTable {
  id: string;
  /** Null for an organization-wide rule (delegated administrator only). */
  account_id: string | null;
  name: string;
  reason: string;
  justification: string | null;
  /** Filter criteria JSON (normalised form). */
  criteria: string;
  expires_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  /** JSON {@link RuleProvenance} when a document (VEX) made the rule; null otherwise. */
  provenance?: string | null;
}

/** Every table of the service database. */
/** An inventory accepted for asynchronous scanning (see src/findings/submissions.ts). */
export interface ScanSubmissionsTable {
  /** The scan's id: its scan row takes the same id when done. */
  id: string;
  account_id: string;
  /** QUEUED, IN_PROGRESS or DONE (the scan row then says how it went). */
  status: string;
  /** The resource to file it under, JSON. */
  resource: string;
  /** The inventory, JSON; cleared when done. */
  inventory: string | null;
  /** Scan context, JSON. */
  context: string;
  package_count: number;
  /** Lifecycle summary of a completed scan, JSON. */
  summary: string | null;
  /** The completed scan's data coverage block, JSON (what the synchronous answer's result carries). */
  coverage: string | null;
  created_at: number;
  updated_at: number;
}

/** Layers of a stored image and its base-image annotations (migration 0012; src/remediation/origin.ts). */
export interface ImageLayersTable {
  resource_id: string;
  account_id: string;
  /** The inventory version the row was read from. */
  inventory_version: number;
  /** Key of the bottom layer, for finding images that may share a base. */
  first_layer: string;
  layer_count: number;
  /** JSON array: per layer its diff id (content of the uncompressed layer) or, lacking one, its digest. */
  layers: string;
  /** JSON array: the manifest layer digests, which packages' `layer` names. */
  layer_digests: string;
  base_name: string | null;
  base_digest: string | null;
  /** The image config's `created`, ISO-8601. */
  created: string | null;
}

/** Breaches of the remediation SLA already announced, one per finding (see src/findings/sla-breaches.ts). */
export interface SlaBreachAnnouncementsTable {
  finding_id: string;
  account_id: string;
  /** The due date that was announced as passed. */
  due_at: number;
  announced_at: number;
}

export interface Database {
  settings: SettingsTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  resources: ResourcesTable;
  resource_tags: ResourceTagsTable;
  resource_image_tags: ResourceImageTagsTable;
  inventories: InventoriesTable;
  inventory_packages: InventoryPackagesTable;
  scans: ScansTable;
  host_coverage: HostCoverageTable;
  findings: FindingsTable;
  finding_events: FindingEventsTable;
  suppression_rules: SuppressionRulesTable;
  scan_submissions: ScanSubmissionsTable;
  network_snapshots: NetworkSnapshotsTable;
  network_host_reports: NetworkHostReportsTable;
  host_reachability: HostReachabilityTable;
  host_containers: HostContainersTable;
  image_reachability: ImageReachabilityTable;
  network_analyses: NetworkAnalysesTable;
  image_layers: ImageLayersTable;
  sla_breach_announcements: SlaBreachAnnouncementsTable;
}

/** A topology snapshot of an account: the importer's input files, kept to analyse again. */
export interface NetworkSnapshotsTable {
  id: string;
  account_id: string;
  /** `aws` or `yaml`. */
  format: string;
  /** `api`, or `directory:PATH` for a scheduled import. */
  source: string;
  /** JSON object: file name → file text. */
  files: string;
  /** SHA-256 of the files, so a scheduled import of an unchanged directory stores nothing. */
  digest: string;
  instance_count: number;
  exposure_count: number;
  /** JSON array of the importer's and analysis's warnings. */
  warnings: string;
  created_at: number;
}

/** One analysis of an account's network, queued by a snapshot or a host report (src/network/server/analyses.ts). */
export interface NetworkAnalysesTable {
  id: string;
  account_id: string;
  /** QUEUED, RUNNING, DONE or FAILED. */
  status: string;
  /** JSON array of what triggered it (the first ones, see `trigger_count`). */
  triggers: string;
  /** How many snapshots and reports it took in; also the version joins update against. */
  trigger_count: number;
  error: string | null;
  /** JSON of what it did (hosts, re-scored hosts, findings), once DONE. */
  summary: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/** The latest network report (`vigil network collect` output) a host sent. */
export interface NetworkHostReportsTable {
  resource_id: string;
  account_id: string;
  /** The report JSON, as collected. */
  report: string;
  received_at: number;
}

/** The computed reachability of a HOST resource under its account's latest snapshot. */
export interface HostReachabilityTable {
  resource_id: string;
  account_id: string;
  snapshot_id: string;
  /** The topology instance the host was matched to. */
  instance_id: string;
  /** 1 when some port of the host is reachable from the internet. */
  reachable: number;
  /** The path (or why nothing reaches the host), in words: the score adjustment's reason. */
  reason: string;
  /** JSON array of the host's exposures. */
  exposures: string;
  updated_at: number;
}

/** A container a HOST resource records: from its network report (`docker`) or declared through the API (`declared`). */
export interface HostContainersTable {
  host_id: string;
  container_id: string;
  account_id: string;
  name: string | null;
  /** The image reference the container was created from. */
  image: string;
  /** JSON array of `sha256:` digests naming the image (its id, manifest digests). */
  image_digests: string;
  running: number;
  host_network: number;
  /** JSON array of published ports (protocol, hostPort, containerPort, hostIp). */
  ports: string;
  runtime: string;
  updated_at: number;
}

/** The reachability last computed for a CONTAINER_IMAGE resource from the hosts running it. */
export interface ImageReachabilityTable {
  resource_id: string;
  account_id: string;
  reachable: number;
  reason: string;
  updated_at: number;
}
