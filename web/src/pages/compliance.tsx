/**
 * Compliance: SLA status of open findings now, the figures of a period per account and
 * severity (opened, closed, MTTR, open past SLA by days past due), scan cadence, the
 * requirements they evidence, the printable report, and the SLA policy (edited by the
 * delegated administrator).
 */
import { useEffect, useMemo, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { ColumnDef } from '@tanstack/react-table';
import type { ComplianceReport, ComplianceSeverity, ResourceCadence, SlaPolicy } from '../api.js';
import { aggregateFindings, downloadComplianceReport, getCompliance, getSlaPolicy, listAccounts, putSlaPolicy } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Card, ErrorNotice, Link, PageHeader } from '../components/ui.js';
import { dateOnly, enumLabel, num, shortName } from '../format.js';
import { href, setParams, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { saveBlob } from '../save-blob.js';
import { useApi } from '../use-api.js';

const SLA_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
const BUCKETS = ['1-30', '31-60', '61-90', '>90'] as const;
const DAY = 86_400_000;

/** `YYYY-MM-DD` of a time. */
function ymd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The page's period from the query string: the 90 days up to today (the end date is included). */
function usePeriod(): { from: string; to: string; toExclusive: string } {
  const { params } = useLocation();
  const today = Math.floor(Date.now() / DAY) * DAY;
  const valid = (v: string | null) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) && Number.isFinite(Date.parse(v)) ? v : undefined);
  const to = valid(params.get('to')) ?? ymd(today);
  const from = valid(params.get('from')) ?? ymd(Date.parse(to) - 89 * DAY);
  return { from, to, toExclusive: ymd(Date.parse(to) + DAY) };
}

/** The compliance page. */
export function CompliancePage(): ReactNode {
  const { principal } = useSession();
  const period = usePeriod();
  const report = useApi((ctx) => getCompliance(ctx, period.from, period.toExclusive), `compliance:${period.from}:${period.to}`);
  const now = useApi(
    (ctx) => aggregateFindings(ctx, { aggregationType: 'SLA_STATUS', filterCriteria: { status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] }, maxResults: 10 }),
    'sla-now',
    { live: true },
  );
  const slaCount = (s: string) => now.data?.rows.find((r) => r.key === s)?.severityCounts.total ?? 0;

  return (
    <div className="page compliance">
      <PageHeader
        title="Compliance"
        subtitle="Remediation against the SLA policy, scan cadence, and the PCI DSS and NIST CSF requirements they evidence."
        actions={<ReportDownload from={period.from} to={period.toExclusive} />}
      />
      <ErrorNotice error={report.error ?? now.error} />
      <div className="stats sla-stats" data-testid="sla-stats" data-loaded={now.data ? 'yes' : undefined}>
        {(['BREACHED', 'DUE_SOON', 'WITHIN'] as const).map((s) => (
          <Link key={s} href={href('/findings', { status: 'ACTIVE', sla: s })} className={`stat sla-${s.toLowerCase()}`} data-testid={`sla-${s}`}>
            <span className="stat-label">Open, {s === 'WITHIN' ? 'within SLA' : s === 'DUE_SOON' ? 'due soon' : 'past SLA'}</span>
            <span className="stat-value" data-value={slaCount(s)}>
              {num(slaCount(s))}
            </span>
          </Link>
        ))}
      </div>
      <form className="inline-form period-form" aria-label="Period" onSubmit={(e) => e.preventDefault()}>
        <label>
          From
          <input type="date" value={period.from} max={period.to} onChange={(e) => e.target.value && setParams({ from: e.target.value })} />
        </label>
        <label>
          To
          <input type="date" value={period.to} min={period.from} onChange={(e) => e.target.value && setParams({ to: e.target.value })} />
        </label>
      </form>
      {report.data ? <Figures report={report.data} /> : <p className="muted">{report.loading ? 'Loading…' : null}</p>}
      <PolicyCard editable={principal.delegatedAdmin && principal.role === 'admin'} onSaved={report.reload} />
    </div>
  );
}

function ReportDownload(props: { from: string; to: string }): ReactNode {
  const { ctx } = useSession();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<Error>();
  async function download(format: 'pdf' | 'html'): Promise<void> {
    setBusy(format);
    setError(undefined);
    try {
      const blob = await downloadComplianceReport(ctx, props.from, props.to, format);
      saveBlob(blob, `vigil-compliance-${props.from}-${props.to}.${format}`);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(undefined);
    }
  }
  return (
    <div className="report-download">
      <button type="button" onClick={() => void download('pdf')} disabled={busy !== undefined}>
        {busy === 'pdf' ? 'Preparing PDF…' : 'Download PDF report'}
      </button>
      <button type="button" className="secondary" onClick={() => void download('html')} disabled={busy !== undefined}>
        HTML
      </button>
      <ErrorNotice error={error} what="Report" />
    </div>
  );
}

interface SeverityRow extends ComplianceSeverity {
  slaDays?: number;
}

function Figures(props: { report: ComplianceReport }): ReactNode {
  const r = props.report;
  const columns = useMemo<ColumnDef<SeverityRow, unknown>[]>(
    () => [
      { id: 'severity', header: 'Severity', cell: ({ row }) => <span className={`sev-fg-${row.original.severity.toLowerCase()}`}>{enumLabel(row.original.severity)}</span> },
      { id: 'sla', header: 'SLA days', cell: ({ row }) => <span className="num">{row.original.slaDays ?? '—'}</span> },
      { id: 'opened', header: 'Opened', cell: ({ row }) => <span className="num">{num(row.original.opened)}</span> },
      { id: 'closed', header: 'Closed', cell: ({ row }) => <span className="num">{num(row.original.closed)}</span> },
      { id: 'late', header: 'Closed past SLA', cell: ({ row }) => <span className="num">{num(row.original.closedPastSla)}</span> },
      { id: 'mttr', header: 'MTTR (days)', cell: ({ row }) => <span className="num">{row.original.mttrDays ?? '—'}</span> },
      ...BUCKETS.map(
        (b): ColumnDef<SeverityRow, unknown> => ({
          id: `past-${b}`,
          header: `Past SLA ${b} d`,
          cell: ({ row }) => <span className={`num${row.original.openPastSla[b] ? ' breach' : ''}`}>{num(row.original.openPastSla[b])}</span>,
        }),
      ),
      { id: 'within', header: 'Open within SLA', cell: ({ row }) => <span className="num">{num(row.original.openWithinSla)}</span> },
    ],
    [],
  );
  const cadenceColumns = useMemo<ColumnDef<ResourceCadence, unknown>[]>(
    () => [
      { id: 'name', header: 'Resource', cell: ({ row }) => <span title={row.original.name}>{shortName(row.original.name)}</span> },
      { id: 'type', header: 'Type', cell: ({ row }) => enumLabel(row.original.type) },
      { id: 'account', header: 'Account', cell: ({ row }) => <span className="mono small">{row.original.accountId}</span> },
      { id: 'last', header: 'Last scanned', cell: ({ row }) => (row.original.lastScannedAt ? dateOnly(row.original.lastScannedAt) : 'never') },
      { id: 'scans', header: 'Scans in period', cell: ({ row }) => <span className="num">{num(row.original.scansInPeriod)}</span> },
    ],
    [],
  );
  const { resources, scannedInPeriod, notScannedInPeriod, cadence } = r.scanCoverage;
  return (
    <>
      {r.accounts.map((a) => (
        <Card key={a.accountId} title={`Findings in ${a.name}`} id={`acct-${a.accountId}`} className="compliance-account">
          <DataTable
            label={`Findings by severity in ${a.name}`}
            data={a.severities.map((s) => ({ ...s, slaDays: a.slaDays[s.severity] }))}
            columns={columns}
            rowId={(s) => s.severity}
          />
        </Card>
      ))}
      <Card title="Scan coverage and cadence" id="cadence">
        <p data-testid="cadence-summary">
          {num(scannedInPeriod)} of {num(resources)} resources scanned in the period; {num(notScannedInPeriod.length)} not scanned.
        </p>
        {notScannedInPeriod.length ? (
          <DataTable label="Resources not scanned in the period" data={notScannedInPeriod} columns={cadenceColumns} rowId={(c) => c.resourceId} />
        ) : (
          <p className="muted">Every resource was scanned in the period.</p>
        )}
        <details>
          <summary>Last scan of every resource ({num(cadence.length)})</summary>
          <DataTable label="Last scan of every resource" data={cadence} columns={cadenceColumns} rowId={(c) => c.resourceId} />
        </details>
      </Card>
      <Card title="Requirements evidenced" id="controls">
        <p className="muted small">Requirement texts are paraphrased; read the standards for their exact wording.</p>
        <ul className="controls">
          {r.controls.map((c) => (
            <li key={c.id} data-testid={`control-${c.id}`}>
              <h3>
                {c.framework} <span className="mono">{c.id}</span>
              </h3>
              <p>{c.requirement}</p>
              {c.note ? <p className="muted small">{c.note}</p> : null}
              <ul>
                {c.evidence.map((e) => (
                  <li key={e}>{e}</li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </Card>
    </>
  );
}

type Days = Record<(typeof SLA_SEVERITIES)[number], string>;

function PolicyCard(props: { editable: boolean; onSaved: () => void }): ReactNode {
  const { ctx } = useSession();
  const policy = useApi(getSlaPolicy, 'sla-policy');
  const accounts = useApi(listAccounts, 'accounts', { enabled: props.editable });
  const [days, setDays] = useState<Days>();
  const [soon, setSoon] = useState('7');
  const [overrides, setOverrides] = useState<Record<string, Partial<Days>>>({});
  const [error, setError] = useState<Error>();
  const [saved, setSaved] = useState(false);

  // Filled from the policy once: the reload after a save must not overwrite what has been typed
  // since (an edit made before the reload landed was lost).
  useEffect(() => {
    if (!policy.data || days) return;
    const p = policy.data;
    setDays(Object.fromEntries(SLA_SEVERITIES.map((s) => [s, String(p.days[s])])) as Days);
    setSoon(String(p.dueSoonDays));
    setOverrides(Object.fromEntries(Object.entries(p.accounts).map(([a, o]) => [a, Object.fromEntries(Object.entries(o).map(([s, d]) => [s, String(d)]))])));
  }, [policy.data]);

  async function save(e: FormEvent): Promise<void> {
    e.preventDefault();
    if (!days) return;
    setError(undefined);
    setSaved(false);
    const toNum = (v: string) => Number(v);
    const body: SlaPolicy = {
      days: Object.fromEntries(SLA_SEVERITIES.map((s) => [s, toNum(days[s])])) as SlaPolicy['days'],
      dueSoonDays: toNum(soon),
      accounts: Object.fromEntries(
        Object.entries(overrides)
          .map(([a, o]) => [a, Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '').map(([s, v]) => [s, toNum(v!)]))] as const)
          .filter(([, o]) => Object.keys(o).length > 0),
      ),
    };
    try {
      await putSlaPolicy(ctx, body);
      setSaved(true);
      policy.reload();
      props.onSaved();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  const p = policy.data;
  if (!p || !days) return <Card title="SLA policy" id="sla-policy">{policy.error ? <ErrorNotice error={policy.error} /> : <p className="muted">Loading…</p>}</Card>;
  if (!props.editable) {
    return (
      <Card title="SLA policy" id="sla-policy">
        <p data-testid="sla-policy-summary">
          Days to remediate from first observation: {SLA_SEVERITIES.map((s) => `${enumLabel(s).toLowerCase()} ${p.days[s]}`).join(', ')}; due soon within {p.dueSoonDays} days.
        </p>
        {Object.keys(p.accounts).length ? (
          <p className="muted small">
            Account overrides: {Object.entries(p.accounts).map(([a, o]) => `${a} (${Object.entries(o).map(([s, d]) => `${s.toLowerCase()} ${d}`).join(', ')})`).join('; ')}
          </p>
        ) : null}
        <p className="muted small">The delegated administrator edits the policy.</p>
      </Card>
    );
  }
  const accountIds = (accounts.data ?? []).map((a) => a.id);
  const dayInput = (label: string, value: string, onChange: (v: string) => void, placeholder?: string) => (
    <label key={label}>
      {label}
      <input type="number" min={1} max={3650} required={!placeholder} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
  return (
    <Card title="SLA policy" id="sla-policy">
      <form className="sla-form" aria-label="SLA policy" onSubmit={(e) => void save(e)}>
        <fieldset>
          <legend>Days to remediate, organization default</legend>
          {SLA_SEVERITIES.map((s) => dayInput(enumLabel(s), days[s], (v) => setDays({ ...days, [s]: v })))}
          <label>
            Due soon within (days)
            <input type="number" min={0} max={365} required value={soon} onChange={(e) => setSoon(e.target.value)} />
          </label>
        </fieldset>
        {accountIds.map((a) => (
          <fieldset key={a} className="sla-override">
            <legend>Account {a} (blank: the default)</legend>
            {SLA_SEVERITIES.map((s) =>
              dayInput(`${a} ${enumLabel(s)}`, overrides[a]?.[s] ?? '', (v) => setOverrides({ ...overrides, [a]: { ...overrides[a], [s]: v } }), days[s]),
            )}
          </fieldset>
        ))}
        <div className="sla-actions">
          <button type="submit">Save policy</button>
          {saved ? (
            <span role="status" className="muted">
              Saved.
            </span>
          ) : null}
        </div>
        <ErrorNotice error={error} what="Policy" />
      </form>
    </Card>
  );
}
