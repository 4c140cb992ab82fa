import type { Inventory, ScanWarning, TargetInfo } from '../inventory/types.js';
import type { AdvisoryIndex, CvssSource } from '../vulndb/types.js';
import type { ScanCoverage } from './data-coverage.js';

/** Severity bands of the final score, plus UNTRIAGED when nothing scores the vulnerability. */
export type Severity = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | 'UNTRIAGED';

/** Whether an upgrade fixes the vulnerability: PARTIAL when the installed version's line has no fix of its own, or the fixes named are still affected elsewhere. */
export type FixAvailable = 'YES' | 'NO' | 'PARTIAL';

/** One contextual change to the score, shown to the user. */
export interface ScoreAdjustment {
  metric: string;
  from: string | number;
  to: string | number;
  reason: string;
}

/** One vulnerability in one package, scored in context: what `vigil scan` reports. */
export interface Finding {
  /** The CVE id when there is one, otherwise the advisory id. */
  id: string;
  aliases: string[];
  title: string;
  description?: string;
  package: {
    name: string;
    version: string;
    ecosystem: string;
    purl: string;
    source?: { name: string; version: string };
    layer?: string;
    locations: string[];
  };
  fixAvailable: FixAvailable;
  /**
   * The lowest version above the installed one that leaves every affected range of every record
   * behind the finding (so a scan of it never reports this finding again). With `PARTIAL`, present
   * only when such a version exists off the installed version's release line.
   */
  fixedVersion?: string;
  /** With `PARTIAL`: which release line has no fix, or which named fix is still affected. */
  fixNote?: string;
  /**
   * `LOW` when the package could only be matched by a guess (a Java archive whose Maven group is
   * unknown, matched by artifact id); absent for exact matches. `confidenceNote` says why.
   */
  confidence?: 'LOW';
  confidenceNote?: string;
  severity: Severity;
  score: number;
  /** Where the base score came from, e.g. `nvd:3.1`, `vendor:3.1`, `cisa-adp:3.1`, `none`. */
  scoreSource: string;
  /**
   * Why the score starts where it does, for people: `base 7.5 from NVD CVSS v3.1 (no vendor
   * vector)`, `severity HIGH from Ubuntu priority "high" (no CVSS published)`. Always set by
   * the engine; absent from findings stored before it existed.
   */
  scoreReason?: string;
  /** The vendor's word the severity came from, when no CVSS vector scored (`scoreSource` `vendor-severity`). */
  vendorSeverity?: { rating: string; source: string };
  cvss?: { version: string; vector: string; baseScore: number; source: CvssSource };
  adjustments: ScoreAdjustment[];
  epss?: { score: number; percentile: number };
  kev?: { dateAdded: string; dueDate?: string; knownRansomwareCampaignUse?: string };
  references: string[];
  /** Advisory ids that produced this finding (OSV ids). */
  advisories: string[];
  /** Statements about the finding that leave it open, e.g. a VEX `affected` statement. */
  notes?: string[];
}

/** What `vigil scan` produces; its JSON form is documented in the README and stable. */
export interface ScanResult {
  schemaVersion: 1;
  target: Pick<TargetInfo, 'type' | 'name' | 'digest'>;
  os?: { ecosystem: string; name: string; version: string };
  packageCount: number;
  /** Per ecosystem of the inventory: does the advisory database hold data for it (absent when the index cannot tell). */
  coverage?: ScanCoverage;
  findings: Finding[];
  /** Findings hidden by ignore rules, with the rule's reason. */
  suppressed: { id: string; package: string; reason: string }[];
  warnings: ScanWarning[];
}

/** Facts about where the target runs, which adjust scores. */
export interface ScanContext {
  /** False when the target is known not to be reachable from the internet. */
  internetReachable?: boolean;
  /**
   * Why `internetReachable` is what it is, when the server computed it from the network
   * (the path, or why nothing reaches the host): the score adjustment's reason names it.
   */
  reachabilityReason?: string;
  /** Match language packages owned by OS packages too (off by default: the distro covers them). */
  includeOsOwned?: boolean;
}

/**
 * Matches and scores an inventory: the engine both `vigil scan` and the server run.
 */
export interface ScanEngine {
  (inventory: Inventory, context: ScanContext): ScanResult;
  /** The same scan, giving the event loop back now and then (servers use it for large inventories). */
  yielding?: (inventory: Inventory, context: ScanContext, signal?: AbortSignal) => Promise<ScanResult>;
  /**
   * The data coverage of a whole inventory without matching it, when the engine's index can tell
   * (re-evaluation matches only some packages but records the coverage of all).
   */
  coverage?: (inventory: Inventory, context?: ScanContext) => ScanCoverage | undefined;
  /**
   * The advisory index the engine matches against, for lookups beyond matching (a server's
   * remediation plan asks it where a later distribution release fixes what this one has not).
   */
  index?: AdvisoryIndex;
  /**
   * The advisory database file the engine reads, when it reads one, so that another thread can
   * open the same file and match exactly as this engine does (`identity` tells a replaced file apart).
   */
  source?: EngineSource;
}

/** The advisory database file behind a {@link ScanEngine}. */
export interface EngineSource {
  path: string;
  /** Inode, modification time and size of the file when the engine opened it. */
  identity: string;
}
