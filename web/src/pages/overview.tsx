/**
 * Overview: coverage, findings by severity, exploited findings, the critical/high trend,
 * MTTR, the riskiest images, hosts and repositories, and the top vulnerabilities. Every
 * figure links into the findings explorer with the matching filter.
 */
import { useCallback } from 'react';
import type { ReactNode } from 'react';
import type { AggregationRow, Severity } from '../api.js';
import { SEVERITIES } from '../api.js';
import { Plot, PlotFigure } from '../components/plot-figure.js';
import { Card, Empty, ErrorNotice, Link, Loading, PageHeader, SeverityBar, SeverityCountsCells } from '../components/ui.js';
import { compactNum, dateTime, enumLabel, num, pct, severityColor, severityLabel, shortName } from '../format.js';
import { href } from '../router.js';
import { useApi } from '../use-api.js';
import { overviewQueries } from './overview-queries.js';

const ACTIVE = { status: 'ACTIVE' };

/** The overview page. */
export function OverviewPage(): ReactNode {
  const overview = useApi(overviewQueries.overview, 'overview', { live: true });
  const trend = useApi(overviewQueries.trend, 'trend', { live: true });
  const mttr = useApi(overviewQueries.mttr, 'mttr', { live: true });
  const o = overview.data;

  return (
    <div className="page overview">
      <PageHeader title="Overview" subtitle={o ? `Active findings across the estate · updated ${dateTime(o.generatedAt)}` : 'Active findings across the estate'} />
      <ErrorNotice error={overview.error} what="Overview" />
      {!o ? (
        overview.error ? null : <Loading />
      ) : (
        <>
          <div className="stats" data-testid="overview-stats">
            <Stat label="Active findings" value={o.severityCounts.total ?? sum(o.severityCounts)} to={href('/findings', ACTIVE)} testId="stat-total" />
            <Stat label="Critical" value={o.severityCounts.CRITICAL ?? 0} to={href('/findings', { ...ACTIVE, severity: 'CRITICAL' })} sev="CRITICAL" testId="stat-critical" />
            <Stat label="High" value={o.severityCounts.HIGH ?? 0} to={href('/findings', { ...ACTIVE, severity: 'HIGH' })} sev="HIGH" testId="stat-high" />
            <Stat label="Exploited (KEV)" value={o.exploited} to={href('/findings', { ...ACTIVE, kev: 'yes' })} testId="stat-exploited" hint="In CISA's Known Exploited Vulnerabilities catalog" />
            <Stat label="Fix available" value={o.fixable} to={href('/findings', { ...ACTIVE, fix: 'YES' })} testId="stat-fixable" />
            <Stat
              label="Resources covered"
              value={o.coverage.byType.reduce((a, t) => a + t.active, 0)}
              of={o.coverage.byType.reduce((a, t) => a + t.active + t.inactive, 0)}
              to="/resources"
              testId="stat-covered"
            />
          </div>

          <div className="grid two">
            <Card title="Findings by severity" id="by-severity">
              <SeverityChart counts={o.severityCounts} />
            </Card>
            <Card title="Coverage" id="coverage" actions={<Link href="/resources">All resources →</Link>}>
              <CoverageBlock coverage={o.coverage} />
            </Card>
          </div>

          <div className="grid two">
            <Card title="Critical and high findings, last 30 days" id="trend">
              <ErrorNotice error={trend.error} />
              {trend.data ? <TrendChart points={trend.data} /> : trend.error ? null : <Loading />}
            </Card>
            <Card title="Mean time to remediate" id="mttr">
              <ErrorNotice error={mttr.error} />
              {mttr.data ? <MttrBlock mttr={mttr.data} /> : mttr.error ? null : <Loading />}
            </Card>
          </div>

          <div className="grid three">
            <Riskiest title="Riskiest container images" rows={o.riskiest.images} param="resource" group="CONTAINER_IMAGE" id="risk-images" />
            <Riskiest title="Riskiest hosts" rows={o.riskiest.hosts} param="resource" group="HOST" id="risk-hosts" />
            <Riskiest title="Riskiest repositories" rows={o.riskiest.repositories} param="repo" group="REPOSITORY" id="risk-repos" />
          </div>

          <Card title="What to fix first" id="top-vulns" actions={<Link href={href('/findings', { ...ACTIVE, group: 'VULNERABILITY' })}>Group findings by vulnerability →</Link>}>
            <TopVulns rows={o.topVulnerabilities} />
          </Card>
        </>
      )}
    </div>
  );
}

function sum(c: Partial<Record<Severity, number>>): number {
  return SEVERITIES.reduce((a, s) => a + (c[s] ?? 0), 0);
}

function Stat(props: { label: string; value: number; of?: number; to: string; sev?: Severity; testId: string; hint?: string }): ReactNode {
  return (
    <Link href={props.to} className={`stat${props.sev ? ` stat-${props.sev.toLowerCase()}` : ''}`} title={props.hint} data-testid={props.testId}>
      <span className="stat-label">{props.label}</span>
      <span className="stat-value" data-value={props.value}>
        {num(props.value)}
        {props.of !== undefined ? <span className="stat-of"> / {num(props.of)}</span> : null}
      </span>
    </Link>
  );
}

function severityRows(counts: Partial<Record<Severity, number>>) {
  return SEVERITIES.map((s) => ({ severity: s, label: severityLabel(s), color: severityColor(s), count: counts[s] ?? 0 }));
}

/**
 * Counts this far apart flatten the small bars on a linear axis (critical and high under
 * thousands of untriaged): the chart switches to a symmetric log axis and says so.
 */
const LOG_SCALE_RATIO = 20;

/** Whether the severity chart needs a log axis to keep every non-zero bar visible. */
export function needsLogScale(counts: readonly number[]): boolean {
  const nonZero = counts.filter((n) => n > 0);
  return nonZero.length > 1 && Math.max(...nonZero) / Math.min(...nonZero) > LOG_SCALE_RATIO;
}

function SeverityChart(props: { counts: Partial<Record<Severity, number>> }): ReactNode {
  const { counts } = props;
  const data = severityRows(counts);
  const log = needsLogScale(data.map((d) => d.count));
  const plot = useCallback((width: number): Plot.PlotOptions => {
    const rows = severityRows(counts);
    return {
      marginLeft: 96,
      marginRight: 24,
      x: needsLogScale(rows.map((d) => d.count))
        ? { type: 'symlog', grid: true, label: 'log scale', tickFormat: compactNum, ticks: width / 90 }
        : { grid: true, label: null, tickFormat: compactNum, ticks: width / 90 },
      y: { label: null, domain: rows.map((d) => d.label) },
      color: { type: 'identity' },
      marks: [
        Plot.barX(rows, { x: 'count', y: 'label', fill: 'color', rx: 2, tip: true, title: (d: (typeof rows)[number]) => `${d.label}: ${num(d.count)}` }),
        Plot.ruleX([0], { stroke: 'var(--grid)' }),
      ],
    };
  }, [counts]);
  if (data.every((d) => d.count === 0)) return <Empty>No active findings.</Empty>;
  return (
    <div className="chart-row" data-scale={log ? 'log' : 'linear'} data-testid="severity-chart-row">
      <PlotFigure height={200} label={`${data.map((d) => `${d.label} ${d.count}`).join(', ')}${log ? ' (log scale)' : ''}`} plot={plot} testId="severity-chart" />
      <ul className="sev-list">
        {data.map((d) => (
          <li key={d.severity}>
            <Link href={href('/findings', { ...ACTIVE, severity: d.severity })} data-testid={`sev-link-${d.severity}`}>
              <span className={`swatch sev-bg-${d.severity.toLowerCase()}`} aria-hidden="true" />
              {d.label}
              <b>{num(d.count)}</b>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

function CoverageBlock(props: { coverage: { byType: { type: string; active: number; inactive: number }[]; inactiveReasons: { reason: string; count: number }[] } }): ReactNode {
  const { byType, inactiveReasons } = props.coverage;
  if (!byType.length) return <Empty>No resources yet. Scan an image or a host to start.</Empty>;
  return (
    <div className="coverage">
      <table className="plain" aria-label="Coverage by resource type">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col" className="num">
              Scanned
            </th>
            <th scope="col" className="num">
              Not scanned
            </th>
            <th scope="col">Share</th>
          </tr>
        </thead>
        <tbody>
          {byType.map((t) => {
            const total = t.active + t.inactive;
            return (
              <tr key={t.type}>
                <th scope="row">
                  <Link href={href('/resources', { type: t.type })}>{enumLabel(t.type)}</Link>
                </th>
                <td className="num">{num(t.active)}</td>
                <td className="num">{t.inactive ? <Link href={href('/resources', { type: t.type, status: 'INACTIVE' })}>{num(t.inactive)}</Link> : '0'}</td>
                <td>
                  <div className="meter" role="img" aria-label={`${total ? Math.round((t.active / total) * 100) : 0} % scanned`}>
                    <span style={{ width: `${total ? (t.active / total) * 100 : 0}%` }} />
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>Why resources are not scanned</h3>
      {inactiveReasons.length === 0 ? (
        <p className="muted">Every resource is scanned.</p>
      ) : (
        <ul className="reasons">
          {inactiveReasons.map((r) => (
            <li key={r.reason}>
              <Link href={href('/resources', { status: 'INACTIVE', reason: r.reason })}>{enumLabel(r.reason)}</Link> <b>{num(r.count)}</b>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

type TrendPoint = { date: string; CRITICAL: number; HIGH: number };

function TrendChart(props: { points: TrendPoint[] }): ReactNode {
  const { points } = props;
  const plot = useCallback((width: number): Plot.PlotOptions => {
    // Long form, high first so critical stacks on top of it.
    const rows = points.flatMap((p) => (['HIGH', 'CRITICAL'] as const).map((s) => ({ date: new Date(p.date), severity: severityLabel(s), color: severityColor(s), n: p[s] })));
    return {
      marginLeft: 48,
      marginRight: 16,
      x: { type: 'utc', label: null, ticks: width / 80, tickFormat: '%m-%d' },
      y: { grid: true, label: null, tickFormat: (n: number) => num(n) },
      color: { type: 'identity' },
      marks: [
        Plot.areaY(rows, { x: 'date', y: 'n', z: 'severity', fill: 'color', fillOpacity: 0.4, curve: 'monotone-x', order: null }),
        Plot.lineY(rows, Plot.stackY2({ x: 'date', y: 'n', z: 'severity', stroke: 'color', curve: 'monotone-x', order: null })),
        // One tip per day, above both layers.
        Plot.tip(points, Plot.pointerX({ x: (p: TrendPoint) => new Date(p.date), y: (p: TrendPoint) => p.CRITICAL + p.HIGH, title: (p: TrendPoint) => `${p.date}\nCritical ${num(p.CRITICAL)}\nHigh ${num(p.HIGH)}` })),
      ],
    };
  }, [points]);
  if (!points.length) return <Empty>No history yet.</Empty>;
  const last = points.at(-1)!;
  return (
    <>
      <PlotFigure height={220} label={`Open critical and high findings per day; latest: ${last.CRITICAL} critical, ${last.HIGH} high`} plot={plot} testId="trend-chart" />
      <Swatches severities={['CRITICAL', 'HIGH']} />
    </>
  );
}

/** The legend of a chart whose series are severities. */
function Swatches(props: { severities: Severity[] }): ReactNode {
  return (
    <ul className="swatches" aria-hidden="true">
      {props.severities.map((s) => (
        <li key={s}>
          <span className={`swatch sev-bg-${s.toLowerCase()}`} />
          {severityLabel(s)}
        </li>
      ))}
    </ul>
  );
}

const MTTR_LINES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;

function MttrBlock(props: { mttr: { bySeverity: { severity: Severity; closed: number; meanDays: number | null }[]; trend: ({ week: string } & Partial<Record<Severity, number | null>>)[] } }): ReactNode {
  const shown = props.mttr.bySeverity.filter((s) => s.severity !== 'UNTRIAGED' && s.severity !== 'INFORMATIONAL');
  const { trend } = props.mttr;
  const plot = useCallback((width: number): Plot.PlotOptions => {
    // Weeks without a closed finding of a severity have no point; its line joins the weeks around them.
    const rows = trend.flatMap((w) =>
      MTTR_LINES.flatMap((s) => (w[s] === null || w[s] === undefined ? [] : [{ week: new Date(w.week), severity: severityLabel(s), color: severityColor(s), days: w[s] }])),
    );
    return {
      marginLeft: 48,
      marginRight: 16,
      x: { type: 'utc', label: null, ticks: width / 110, tickFormat: '%m-%d' },
      y: { grid: true, label: null, tickFormat: (n: number) => `${n} d` },
      color: { type: 'identity' },
      marks: [
        Plot.lineY(rows, { x: 'week', y: 'days', z: 'severity', stroke: 'color', curve: 'monotone-x' }),
        Plot.tip(rows, Plot.pointer({ x: 'week', y: 'days', title: (d: (typeof rows)[number]) => `Week of ${d.week.toISOString().slice(0, 10)} · ${d.severity}: ${d.days.toFixed(1)} d` })),
      ],
    };
  }, [trend]);
  return (
    <div className="mttr">
      <div className="mttr-figures" data-testid="mttr">
        {shown.map((s) => (
          <div key={s.severity} className="mttr-fig">
            <span className={`sev-fg-${s.severity.toLowerCase()} mttr-sev`}>{severityLabel(s.severity)}</span>
            <span className="mttr-days">{s.meanDays === null ? '—' : `${s.meanDays.toFixed(1)} d`}</span>
            <span className="muted small">{num(s.closed)} closed</span>
          </div>
        ))}
      </div>
      {props.mttr.trend.every((w) => SEVERITIES.every((s) => w[s] === null || w[s] === undefined)) ? (
        <Empty>No findings were closed in the last {props.mttr.trend.length} weeks: the trend starts with the first fix.</Empty>
      ) : (
        <>
          <PlotFigure height={170} label="Weekly mean days to remediate per severity" plot={plot} testId="mttr-chart" />
          <Swatches severities={[...MTTR_LINES]} />
        </>
      )}
      <p className="muted small">First observed → closed, for findings closed in each week.</p>
    </div>
  );
}

function Riskiest(props: { title: string; rows: AggregationRow[]; param: string; group: string; id: string }): ReactNode {
  return (
    <Card title={props.title} id={props.id} actions={<Link href={href('/findings', { ...ACTIVE, group: props.group })}>All →</Link>}>
      {props.rows.length === 0 ? (
        <Empty>None with active critical, high, medium or low findings.</Empty>
      ) : (
        <>
        <div className="risk-head" aria-hidden="true">
          <span>Name</span>
          <span className="sev-counts">
            <span title="Critical">Crit</span>
            <span title="High">High</span>
            <span title="Medium">Med</span>
            <span title="Low">Low</span>
          </span>
        </div>
        <ol className="risk-list">
          {props.rows.map((r) => (
            <li key={r.key}>
              <Link href={href('/findings', { ...ACTIVE, [props.param]: r.key })} className="risk-name" title={r.key}>
                {shortName(r.label ?? r.key)}
              </Link>
              <SeverityCountsCells counts={r.severityCounts} />
              <SeverityBar counts={r.severityCounts} />
            </li>
          ))}
        </ol>
        </>
      )}
    </Card>
  );
}

function TopVulns(props: { rows: AggregationRow[] }): ReactNode {
  if (!props.rows.length) return <Empty>No active vulnerabilities.</Empty>;
  return (
    <>
      <p className="muted small">Ranked by risk: known exploited (CISA KEV) first, then the highest score, EPSS, and the number of affected resources. Every exploited vulnerability is listed.</p>
      <div className="table-wrap">
        <table className="plain" aria-label="What to fix first">
          <thead>
            <tr>
              <th scope="col">Vulnerability</th>
              <th scope="col">Exploited</th>
              <th scope="col" className="num">
                Max score
              </th>
              <th scope="col" className="num">
                EPSS
              </th>
              <th scope="col" className="num">
                Affected resources
              </th>
              <th scope="col">Findings (Crit / High / Med / Low)</th>
              <th scope="col" className="num">
                All findings
              </th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr key={r.key}>
                <th scope="row">
                  <Link href={href('/findings', { ...ACTIVE, vuln: r.key })}>{r.key}</Link>
                  {r.title ? <div className="muted small clip" title={r.title}>{r.title}</div> : null}
                </th>
                <td>{r.exploited ? <span className="kev">KEV</span> : <span className="muted">—</span>}</td>
                <td className="num">{r.maxScore?.toFixed(1) ?? '—'}</td>
                <td className="num">{r.maxEpss === null || r.maxEpss === undefined ? '—' : pct(r.maxEpss)}</td>
                <td className="num">{num(r.affectedResources)}</td>
                <td>
                  <SeverityCountsCells counts={r.severityCounts} />
                </td>
                <td className="num">{num(r.severityCounts.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
