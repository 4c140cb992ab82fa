/**
 * Compliance evidence for a period: per account and severity, findings opened and closed,
 * mean time to remediate, closes past the SLA, findings open past their SLA by how far past;
 * scan cadence per resource (last scan, scans in the period) and the resources not scanned
 * in it; and the requirements of PCI DSS v4.0 and NIST CSF 2.0 these figures evidence.
 *
 * Figures read the findings as stored: CLOSED findings are deleted after the retention
 * period (`closedRetentionDays`), so closes older than that no longer count. "Open past SLA"
 * is judged at the end of the period (or now, if sooner) from first observation and closing
 * times; a finding suppressed now is left out (accepted risk).
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect.js';
import { iso, SEVERITIES } from './model.js';
import { scopeSql, type AccountScope } from './scope.js';
import { dueMsSql, SLA_SEVERITIES, type SlaPolicy } from './sla.js';

const DAY = 86_400_000;

/** Buckets of days past the due date, for findings open past their SLA. */
export const OVERDUE_BUCKETS = ['1-30', '31-60', '61-90', '>90'] as const;
/** A bucket of days past due. */
export type OverdueBucket = (typeof OVERDUE_BUCKETS)[number];

/** Figures of one severity in one account. */
export interface SeverityFigures {
  severity: string;
  /** Findings first observed in the period. */
  opened: number;
  /** Findings closed in the period. */
  closed: number;
  /** Of those, closed after their due date. */
  closedPastSla: number;
  /** Mean days from first observation to closing of the findings closed in the period; null when none closed. */
  mttrDays: number | null;
  /** Open at the end of the period and past their due date, by days past due (severities with an SLA). */
  openPastSla: Record<OverdueBucket, number> & { total: number };
  /** Open at the end of the period and not yet due. */
  openWithinSla: number;
}

/** One account's figures. */
export interface AccountFigures {
  accountId: string;
  name: string;
  /** Days to remediate that apply to this account. */
  slaDays: Record<string, number>;
  /** CRITICAL first; every severity, zeros included. */
  severities: SeverityFigures[];
}

/** Scan cadence of one resource. */
export interface ResourceCadence {
  resourceId: string;
  accountId: string;
  type: string;
  name: string;
  /** Last scan (not failed) at or before the end of the period. */
  lastScannedAt?: string;
  /** Scans (not failed) within the period. */
  scansInPeriod: number;
}

/** A requirement the report maps figures to. */
export interface ControlMapping {
  framework: string;
  id: string;
  /** The requirement, paraphrased. */
  requirement: string;
  /** What this report shows for it, in words computed from the figures. */
  evidence: string[];
  /** Where the numbering was checked. */
  reference: string;
  note?: string;
}

/** The report. */
export interface ComplianceReport {
  period: { from: string; to: string };
  generatedAt: string;
  /** The instant "open past SLA" is judged at: the end of the period, or now if sooner. */
  asOf: string;
  policy: SlaPolicy;
  accounts: AccountFigures[];
  scanCoverage: {
    resources: number;
    scannedInPeriod: number;
    notScannedInPeriod: ResourceCadence[];
    cadence: ResourceCadence[];
  };
  controls: ControlMapping[];
}

/** The period and how to judge it. */
export interface ComplianceRequest {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  policy: SlaPolicy;
  now?: number;
}

interface Counted {
  account_id: string;
  severity: string;
  n: number | string;
}

/** Builds the report for the accounts in scope. */
export async function complianceReport(db: Db, scope: AccountScope, req: ComplianceRequest): Promise<ComplianceReport> {
  const now = req.now ?? Date.now();
  const asOf = Math.min(req.to, now);
  const { from, to, policy } = req;
  const inScope = scopeSql(scope, 'findings.account_id');
  const due = dueMsSql(policy);

  const accounts = await db.kysely.selectFrom('accounts').select(['id', 'name']).where(scopeSql(scope, 'accounts.id')).orderBy('id').execute();

  const opened = await sql<Counted>`SELECT account_id, severity, count(*) AS n FROM findings
    WHERE ${inScope} AND first_observed_at >= ${from} AND first_observed_at < ${to} GROUP BY account_id, severity`.execute(db.kysely);

  const closed = await sql<Counted & { total_ms: number | string | null; late: number | string | null }>`SELECT account_id, severity, count(*) AS n,
      sum(closed_at - first_observed_at) AS total_ms,
      sum(CASE WHEN ${due} IS NOT NULL AND closed_at - first_observed_at > ${due} THEN 1 ELSE 0 END) AS late
    FROM findings
    WHERE ${inScope} AND closed_at IS NOT NULL AND closed_at >= ${from} AND closed_at < ${to}
    GROUP BY account_id, severity`.execute(db.kysely);

  // Days past due at `asOf` of each finding open then; bucketed in SQL so no finding rows travel.
  const overdue = sql`(${asOf} - findings.first_observed_at - ${due})`;
  const bucket = sql`CASE WHEN ${overdue} <= 0 THEN 'WITHIN'
      WHEN ${overdue} <= ${30 * DAY} THEN '1-30' WHEN ${overdue} <= ${60 * DAY} THEN '31-60'
      WHEN ${overdue} <= ${90 * DAY} THEN '61-90' ELSE '>90' END`;
  const open = await sql<Counted & { bucket: string }>`SELECT account_id, severity, bucket, count(*) AS n FROM (
      SELECT findings.account_id AS account_id, findings.severity AS severity, ${bucket} AS bucket FROM findings
      WHERE ${inScope} AND findings.severity_rank >= 2 AND findings.status <> 'SUPPRESSED'
        AND findings.first_observed_at <= ${asOf} AND (findings.closed_at IS NULL OR findings.closed_at > ${asOf})
    ) AS o GROUP BY account_id, severity, bucket`.execute(db.kysely);

  const key = (a: string, s: string) => `${a}\u0000${s}`;
  const figures = new Map<string, SeverityFigures>();
  const fig = (a: string, s: string): SeverityFigures => {
    let f = figures.get(key(a, s));
    if (!f) {
      f = { severity: s, opened: 0, closed: 0, closedPastSla: 0, mttrDays: null, openPastSla: { '1-30': 0, '31-60': 0, '61-90': 0, '>90': 0, total: 0 }, openWithinSla: 0 };
      figures.set(key(a, s), f);
    }
    return f;
  };
  for (const r of opened.rows) fig(r.account_id, r.severity).opened = Number(r.n);
  for (const r of closed.rows) {
    const f = fig(r.account_id, r.severity);
    f.closed = Number(r.n);
    f.closedPastSla = Number(r.late ?? 0);
    f.mttrDays = round1(Number(r.total_ms ?? 0) / Number(r.n) / DAY);
  }
  for (const r of open.rows) {
    const f = fig(r.account_id, r.severity);
    if (r.bucket === 'WITHIN') f.openWithinSla += Number(r.n);
    else {
      f.openPastSla[r.bucket as OverdueBucket] += Number(r.n);
      f.openPastSla.total += Number(r.n);
    }
  }
  const bySeverity = [...SEVERITIES].reverse();
  const accountFigures: AccountFigures[] = accounts.map((a) => ({
    accountId: a.id,
    name: a.name,
    slaDays: Object.fromEntries(SLA_SEVERITIES.map((s) => [s, policy.accounts[a.id]?.[s] ?? policy.days[s]])),
    severities: bySeverity.map((s) => fig(a.id, s)),
  }));

  const cadenceRows = await sql<{ id: string; account_id: string; type: string; name: string; last_scan: number | string | null; scans: number | string }>`
    SELECT r.id, r.account_id, r.type, r.name,
      (SELECT max(s.created_at) FROM scans AS s WHERE s.resource_id = r.id AND s.status <> 'SCAN_FAILED' AND s.created_at < ${to}) AS last_scan,
      (SELECT count(*) FROM scans AS s WHERE s.resource_id = r.id AND s.status <> 'SCAN_FAILED' AND s.created_at >= ${from} AND s.created_at < ${to}) AS scans
    FROM resources AS r
    WHERE ${scopeSql(scope, 'r.account_id')} AND r.created_at < ${to}
    ORDER BY r.account_id, r.name, r.id`.execute(db.kysely);
  const cadence: ResourceCadence[] = cadenceRows.rows.map((r) => ({
    resourceId: r.id,
    accountId: r.account_id,
    type: r.type,
    name: r.name,
    lastScannedAt: r.last_scan === null ? undefined : iso(Number(r.last_scan)),
    scansInPeriod: Number(r.scans),
  }));
  const notScanned = cadence.filter((c) => c.scansInPeriod === 0);

  const report: Omit<ComplianceReport, 'controls'> = {
    period: { from: iso(from)!, to: iso(to)! },
    generatedAt: iso(now)!,
    asOf: iso(asOf)!,
    policy,
    accounts: accountFigures,
    scanCoverage: { resources: cadence.length, scannedInPeriod: cadence.length - notScanned.length, notScannedInPeriod: notScanned, cadence },
  };
  return { ...report, controls: controlMappings(report) };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Sums one figure over every account, for the given severities. */
function total(r: Omit<ComplianceReport, 'controls'>, severities: readonly string[], get: (f: SeverityFigures) => number): number {
  let n = 0;
  for (const a of r.accounts) for (const f of a.severities) if (severities.includes(f.severity)) n += get(f);
  return n;
}

/**
 * The requirements, paraphrased (not quoted: both texts are copyrighted), with what the
 * figures show for each.
 */
export function controlMappings(r: Omit<ComplianceReport, 'controls'>): ControlMapping[] {
  const critHigh = ['CRITICAL', 'HIGH'];
  const sla = SLA_SEVERITIES as readonly string[];
  const { resources, scannedInPeriod, notScannedInPeriod } = r.scanCoverage;
  const closedCH = total(r, critHigh, (f) => f.closed);
  const lateCH = total(r, critHigh, (f) => f.closedPastSla);
  const openPastCH = total(r, critHigh, (f) => f.openPastSla.total);
  const scanned = `${scannedInPeriod} of ${resources} resources scanned in the period; ${notScannedInPeriod.length} not scanned`;
  const days = `SLA (days to remediate from first observation): critical ${r.policy.days.CRITICAL}, high ${r.policy.days.HIGH}, medium ${r.policy.days.MEDIUM}, low ${r.policy.days.LOW}` +
    (Object.keys(r.policy.accounts).length ? `; ${Object.keys(r.policy.accounts).length} account(s) override it` : '');
  return [
    {
      framework: 'PCI DSS v4.0',
      id: '6.3.3',
      requirement:
        'Every system component is protected from known vulnerabilities by installing the applicable security patches and updates: those for critical vulnerabilities within one month of their release, the others within a period the entity sets.',
      evidence: [
        days,
        `${closedCH} critical and high findings closed in the period, ${lateCH} of them after their due date`,
        `${openPastCH} critical and high findings open past their due date at ${r.asOf.slice(0, 10)}`,
      ],
      reference: 'PCI DSS v4.0, requirement 6.3.3',
      note: 'PCI counts the month from the patch release; Vigil counts from when it first observed the finding, which is no earlier than the advisory it matched.',
    },
    {
      framework: 'PCI DSS v4.0',
      id: '11.3.1',
      requirement:
        'Internal vulnerability scans run at least once every three months and after significant changes; high-risk and critical vulnerabilities are resolved, and rescans confirm it; the scanning tool is kept current with new vulnerability information.',
      evidence: [
        scanned,
        `${total(r, critHigh, (f) => f.opened)} critical and high findings opened and ${closedCH} closed (a closed finding is one a later scan no longer found)`,
      ],
      reference: 'PCI DSS v4.0, requirement 11.3.1',
      note: 'A three-month cadence needs a period of at most three months to read directly from "not scanned in the period".',
    },
    {
      framework: 'NIST CSF 2.0',
      id: 'ID.RA-01',
      requirement: 'Vulnerabilities in the organization\u2019s assets are identified, validated and recorded.',
      evidence: [scanned, `${total(r, SEVERITIES, (f) => f.opened)} findings recorded in the period, each with its resource, package, advisory and first observation`],
      reference: 'NIST CSWP 29 (CSF 2.0), subcategory ID.RA-01',
    },
    {
      framework: 'NIST CSF 2.0',
      id: 'ID.RA-08',
      requirement: 'Processes exist to receive vulnerability disclosures, analyze them, and respond to them.',
      evidence: [
        'Advisories (OSV, NVD, CISA KEV, EPSS) are imported as published; stored inventories are re-matched against each update',
        days,
        `mean time to remediate in the period: ${mttrText(r, critHigh)} (critical and high)`,
        `${total(r, sla, (f) => f.openPastSla.total)} findings open past their due date; each breach raises a vigil.finding.sla-breached event`,
      ],
      reference: 'NIST CSWP 29 (CSF 2.0), subcategory ID.RA-08',
    },
    {
      framework: 'NIST CSF 1.1 (not in CSF 2.0)',
      id: 'DE.CM-08',
      requirement: 'Vulnerability scans are performed (CSF 1.1 DE.CM-8).',
      evidence: [scanned],
      reference: 'NIST CSF 2.0 informative references for ID.RA-01, which list CSF 1.1 DE.CM-8 (https://myctrl.tools/frameworks/nist-csf-v2/id-ra-1)',
      note: 'CSF 2.0 has no DE.CM-08: its Detect continuous-monitoring subcategories are DE.CM-01, -02, -03, -06 and -09. The scanning outcome of CSF 1.1 DE.CM-8 moved into ID.RA-01, so this row repeats ID.RA-01\u2019s scan evidence.',
    },
  ];
}

function mttrText(r: Omit<ComplianceReport, 'controls'>, severities: string[]): string {
  let closed = 0;
  let days = 0;
  for (const a of r.accounts) {
    for (const f of a.severities) {
      if (!severities.includes(f.severity) || f.mttrDays === null) continue;
      closed += f.closed;
      days += f.mttrDays * f.closed;
    }
  }
  return closed ? `${round1(days / closed)} days over ${closed} closed findings` : 'no findings closed';
}
