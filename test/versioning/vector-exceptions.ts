/**
 * The ONE list of third-party vector rows Vigil does not follow, each with its reason.
 * The runner fails when an exception no longer matches a failing row (so the list stays true).
 */
import { pep440 } from '../../src/versioning/pep440.js';
import { semver } from '../../src/versioning/semver.js';
import type { VectorRow } from './vector-data.js';

/** Rows of one file that are known not to hold, and why. */
export interface VectorException {
  /** File relative to the versions folder. */
  file: string;
  /** The scheme the rows were run against (a file may run against two). */
  scheme: string;
  /** Exact raw lines (as in the file, fields joined by TAB); every one must fail. */
  lines?: string[];
  /** Or a precise predicate over the row, with the exact number of rows it must match. */
  match?: (row: VectorRow) => boolean;
  count?: number;
  reason: string;
}

const t = (...fields: string[]): string => fields.join('\t');

// osv-scalibr's hand-written files share three rows its own lenient parser accepts.
const HUGE_1 = t('999999999999999999999999999991', '<', '999999999999999999999999999999');
const HUGE_3 = t(
  '999999999999999999999999999991.999999999999999999999999999991.999999999999999999999999999991',
  '<',
  '999999999999999999999999999999.999999999999999999999999999991.999999999999999999999999999991',
);
const FIVE_PARTS = t('1.1.3.4.5', '=', '1.1.3.4.5');

export const vectorExceptions: VectorException[] = [
  // ── apk ──────────────────────────────────────────────────────────────────────────────────
  {
    file: 'alpine/apk-tools-master__validity.tsv',
    scheme: 'apk',
    lines: [t('0.1a1', 'invalid', '')],
    reason:
      'apk-tools 3 rejects digits after the letter, but apk-tools 2.x (Alpine ≤ 3.22) accepts them and real ' +
      'Alpine packages use them (openssh 6.6.1p1-r0); Vigil accepts them so those packages get verdicts',
  },
  {
    file: 'alpine/osv-scalibr__alpine-versions.tsv',
    scheme: 'apk',
    lines: [t('1-r', '=', '1-r0'), t('1-r0-1', '=', '1-r-2')],
    reason: 'apk-tools 2.x reads an empty -r as -r0; apk-tools 3 (followed here) rejects it and orders it below',
  },
  {
    file: 'alpine/osv-scalibr__alpine-versions.tsv',
    scheme: 'apk',
    lines: [
      t('0..1..0', '<', '0..1..1'),
      t('0...1...0', '<', '0...1...1'),
      t('0...1...0.r1', '<', '0...1...0.r2'),
      t('0...1...0r1', '<', '0...1...0r2'),
      t('0..8', '>', '0...8'),
      t('0.8.21.r2', '>', '0.8.21.r1'),
      t('.2', '>', '.1'),
      t('a', '<', 'b'),
      t('c', '>', 'b'),
    ],
    reason:
      'osv-scalibr orders strings apk-tools rejects (empty parts, letters after a dot, no leading digit); ' +
      'apk-tools stops at the first invalid token and calls them equal, and Vigil rejects them as invalid',
  },
  // ── Maven ────────────────────────────────────────────────────────────────────────────────
  {
    file: 'maven/osv-scalibr__maven-versions-generated.tsv',
    scheme: 'maven',
    lines: [
      t('1.0.0-RC16', '<', '1.0.0.RC8-beta'),
      t('1.0.0-gradle-rework-beta3', '<', '1.0.0.RC7-3'),
      t('2.9.0-1', '<', '2.9.0.RC1'),
      t('6.1.12.rc5', '<', '6.1.12rc1'),
      t('1.1.31.sec10', '<', '1.1.31_noneautotype'),
      t('1.1.34.sec10', '<', '1.1.34_noneautotype'),
      t('1.1.46.sec10', '<', '1.1.46_noneautotype'),
      t('1.2.8.sec10_noneautotype', '<', '1.2.8_noneautotype'),
      t('1.2.31.sec10', '<', '1.2.31_noneautotype'),
      t('1.2.48.sec10', '<', '1.2.48_noneautotype'),
      t('1.2.50.sec10', '<', '1.2.50_noneautotype'),
      t('1.2.54.sec10', '<', '1.2.54_noneautotype'),
      t('1.2.57.sec10', '<', '1.2.57_noneautotype'),
      t('1.2.60.sec10', '<', '1.2.60_noneautotype'),
      t('1.2.67.sec10', '<', '1.2.67_noneautotype'),
      t('1.0.0rc0', '<', '1.0.beta8'),
      t('1.5.9.RC1', '<', '1.5.9-RC0'),
      t('1.1.0-01-glassfish', '<', '1.1.0.Beta1'),
    ],
    reason:
      'the README\'s 18 generated rows: Maven 3.8.7 (Debian\'s maven-artifact, checked) and Maven 4 both order ' +
      'them the other way; they are neighbours from a sort by a comparator that is not transitive on them',
  },
  {
    file: 'maven/osv-scalibr__maven-versions-generated.tsv',
    scheme: 'maven',
    lines: [
      t('3.2.0rc2', '<', '3.2.0-rc.1'),
      t('1.0.0-beta11', '<', '1.0.0-beta.6'),
      t('3.5.0-CR-2', '<', '3.5.0.Beta-1'),
      t('v3.7.0rc2', '<', 'v3.7.0-rc.3'),
    ],
    reason:
      'generated with maven-artifact 3.8.6; Maven 4 (followed here) reads "rc2", "beta11" and "CR-2" as one ' +
      'qualifier+number item and ".X" like "-X" (MNG-7644), which reverses these pairs',
  },
  {
    file: 'maven/osv-scalibr__maven-versions.tsv',
    scheme: 'maven',
    lines: [t('1-1.foo-bar-1-baz-0.1', '=', '1-1.foo-bar1baz-.1'), t('1-1', '=', '1-ga-1')],
    reason:
      'osv-scalibr hand-written rows for Maven 3.8 item splitting; Maven 4 treats "bar-1" as the combination ' +
      '"bar1" and keeps "ga-1" as a qualified item, so both sides differ (3.8.7 also says 1-1 > 1-ga-1)',
  },
  // ── SemVer, Pub ──────────────────────────────────────────────────────────────────────────
  {
    file: 'npm/node-semver__equality.tsv',
    scheme: 'semver',
    match: (row) => row.fields[3] === '{"loose": true}' && !semver.isValid(row.fields[2] ?? ''),
    count: 26,
    reason:
      'README: node-semver equality rows need loose parsing ("=1.2.3", "v 1.2.3"); Vigil parses strictly, as npm ' +
      'publishes versions, so these spellings are invalid rather than guessed',
  },
  {
    file: 'semver/osv-scalibr__semver-versions.tsv',
    scheme: 'semver',
    lines: [HUGE_1, HUGE_3, FIVE_PARTS],
    reason:
      'osv-scalibr\'s lenient parser accepts one- and five-part versions and numbers beyond 2^53; SemVer 2.0, ' +
      'node-semver (npm) and cargo reject them, so they are invalid here',
  },
  {
    file: 'pub/osv-scalibr__pub-versions.tsv',
    scheme: 'pub',
    lines: [HUGE_1, FIVE_PARTS],
    reason: 'pub_semver requires exactly major.minor.patch; osv-scalibr\'s lenient parser accepts one and five parts',
  },
  // ── RubyGems ─────────────────────────────────────────────────────────────────────────────
  {
    file: 'rubygems/osv-scalibr__rubygems-versions.tsv',
    scheme: 'rubygems',
    lines: [t('1', '>', '1beta'), t('1', '>', '1gamma')],
    reason: 'Gem::Version.new("1beta") raises "Malformed version number string" (checked with ruby 3.1, RubyGems 3.3)',
  },
  // ── PyPI ─────────────────────────────────────────────────────────────────────────────────
  {
    file: 'pypi/osv-scalibr__pypi-versions-generated.tsv',
    scheme: 'pep440',
    match: (row) => !pep440.isValid(row.fields[0] ?? '') || !pep440.isValid(row.fields[2] ?? ''),
    count: 69,
    reason:
      'README: legacy version strings current packaging rejects ("0.3m1", "2013-01-21T20:33:09+0100"); Vigil\'s ' +
      'policy is invalid (a verdict of unknown), never an order guessed by another scheme',
  },
  {
    file: 'pypi/osv-scalibr__pypi-versions.tsv',
    scheme: 'pep440',
    match: (row) => !pep440.isValid(row.fields[0] ?? '') || !pep440.isValid(row.fields[2] ?? ''),
    count: 11,
    reason: 'README: legacy version strings (the other 11 of the 80); same policy as above',
  },
];
