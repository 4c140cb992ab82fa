/**
 * Findings explorer: filter bar, group-by switch with aggregation rows, a server-paged
 * sortable table, export of the current filter, and the finding detail panel. All of it
 * lives in the query string.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { ColumnDef, SortingState } from '@tanstack/react-table';
import type { AggregationRow, AggregationSortField, AggregationType, FindingSortField, StoredFinding } from '../api.js';
import { aggregateFindings, countFindings, exportFindings, searchFindings } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { FilterBar } from '../components/filter-bar.js';
import { CursorPager, ErrorNotice, Link, PageHeader, SeverityBadge, SeverityBar, SeverityCountsCells } from '../components/ui.js';
import { criteriaFromParams, filterParams } from '../filters.js';
import { ago, dateOnly, enumLabel, num, pct, shortName } from '../format.js';
import { href, setParams, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { saveBlob } from '../save-blob.js';
import { useApi } from '../use-api.js';
import { FindingPanel } from './finding-panel.js';
import { ListeningCell } from './network-path.js';

interface Group {
  type: AggregationType;
  label: string;
  /** The explorer filter that shows a row's findings. */
  drill(row: AggregationRow): Record<string, string>;
}

/** Group-by choices and the filter a row of each drills into. */
export const GROUPS: Group[] = [
  { type: 'VULNERABILITY', label: 'Vulnerability', drill: (r) => ({ vuln: r.keys?.vulnerabilityId ?? r.key }) },
  {
    type: 'PACKAGE',
    label: 'Package',
    drill: (r): Record<string, string> => (r.keys?.packageName ? { pkg: r.keys.packageName, ecosystem: r.keys.packageEcosystem ?? '' } : { pkg: r.key }),
  },
  { type: 'CONTAINER_IMAGE', label: 'Image', drill: (r) => ({ resource: r.keys?.resourceId ?? r.key }) },
  { type: 'REPOSITORY', label: 'Repository', drill: (r) => ({ repo: r.keys?.repository ?? r.key }) },
  { type: 'IMAGE_LAYER', label: 'Layer', drill: (r) => ({ layer: r.keys?.layer ?? r.key }) },
  { type: 'HOST', label: 'Host', drill: (r) => ({ resource: r.keys?.resourceId ?? r.key }) },
  { type: 'ACCOUNT', label: 'Account', drill: (r) => ({ account: r.keys?.accountId ?? r.key }) },
  { type: 'ORIGIN', label: 'Origin', drill: (r) => ({ origin: r.keys?.origin ?? r.key }) },
];

const PAGE_SIZE = 50;

/** The status the explorer shows when the URL names none. */
export const DEFAULT_STATUS = 'ACTIVE';

function withDefaultStatus(params: URLSearchParams): URLSearchParams {
  if (params.has('status')) return params;
  const next = new URLSearchParams(params);
  next.set('status', DEFAULT_STATUS);
  return next;
}

/** Puts focus back on the table row of `findingId` (after its panel closed), if it is shown. */
function focusRow(findingId: string): void {
  requestAnimationFrame(() => document.querySelector<HTMLElement>(`tr[data-row-id="${CSS.escape(findingId)}"]`)?.focus());
}

const FINDING_SORTS: Record<string, FindingSortField> = {
  score: 'SCORE',
  severity: 'SEVERITY',
  epss: 'EPSS',
  firstObservedAt: 'FIRST_OBSERVED_AT',
  lastObservedAt: 'LAST_OBSERVED_AT',
};
const GROUP_SORTS: Record<string, AggregationSortField> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  total: 'TOTAL',
  affectedResources: 'AFFECTED_RESOURCES',
  maxScore: 'MAX_SCORE',
  exploited: 'EXPLOITED',
};

function parseSort(raw: string | null, fallback: string): SortingState {
  const [id, dir] = (raw ?? fallback).split(':');
  return [{ id, desc: dir !== 'asc' }];
}

/** The findings explorer page. */
export function FindingsPage(): ReactNode {
  const location = useLocation();
  // Like the overview, the explorer shows active findings unless the URL says otherwise
  // (`status=ALL` asks for every status).
  const params = useMemo(() => withDefaultStatus(location.params), [location.params]);
  const defaulted = !location.params.has('status');
  useEffect(() => {
    if (defaulted) setParams({ status: DEFAULT_STATUS }, { replace: true });
  }, [defaulted]);
  const group = GROUPS.find((g) => g.type === params.get('group'));
  const selected = params.get('finding') ?? undefined;
  const criteria = useMemo(() => criteriaFromParams(params), [params]);
  const criteriaKey = JSON.stringify(criteria);
  const fp = filterParams(params);
  const closePanel = useCallback(() => {
    const id = new URL(window.location.href).searchParams.get('finding');
    setParams({ finding: undefined });
    if (id) focusRow(id);
  }, []);

  return (
    <div className={`page findings${selected ? ' with-panel' : ''}`}>
      <PageHeader
        title="Findings"
        subtitle="Filter, group and sort every finding; select one to see why it scores as it does."
        actions={
          <>
            <ExportButtons criteriaKey={criteriaKey} />
            <Link className="button" href={href('/suppression-rules', { ...fp, new: '1' })} data-testid="suppress-from-filter">
              Suppress these…
            </Link>
          </>
        }
      />
      <FilterBar params={params} />
      <div className="group-switch" role="radiogroup" aria-label="Group by">
        <span className="gs-label" id="group-label">
          Group by
        </span>
        {[{ type: undefined, label: 'None' } as { type?: AggregationType; label: string }, ...GROUPS].map((g) => (
          <button
            key={g.label}
            type="button"
            role="radio"
            aria-checked={group?.type === g.type}
            className={`seg${group?.type === g.type ? ' on' : ''}`}
            onClick={() => setParams({ group: g.type, sort: undefined, cursor: undefined })}
          >
            {g.label}
          </button>
        ))}
      </div>
      <div className="explorer-body">
        <div className="explorer-main">
          {group ? <GroupTable group={group} criteriaKey={criteriaKey} params={params} /> : <FindingTable criteriaKey={criteriaKey} params={params} selected={selected} />}
        </div>
        {selected ? <FindingPanel id={selected} onClose={closePanel} /> : null}
      </div>
    </div>
  );
}

function FindingTable(props: { criteriaKey: string; params: URLSearchParams; selected?: string }): ReactNode {
  const { params } = props;
  const sorting = parseSort(params.get('sort'), 'score:desc');
  const cursor = params.get('cursor') ?? undefined;
  // Cursors of the pages before this one, so "Previous" can go back without the server's help.
  const history = useRef<(string | undefined)[]>([]);
  const sortField = FINDING_SORTS[sorting[0].id] ?? 'SCORE';
  const page = useApi(
    (ctx) =>
      searchFindings(ctx, {
        filterCriteria: JSON.parse(props.criteriaKey),
        sort: { field: sortField, order: sorting[0].desc ? 'DESC' : 'ASC' },
        maxResults: PAGE_SIZE,
        nextToken: cursor,
      }),
    `${props.criteriaKey}|${sortField}|${sorting[0].desc}|${cursor ?? ''}`,
    { live: true },
  );
  // Counted apart from the page, so the rows never wait for the count.
  const total = useApi((ctx) => countFindings(ctx, JSON.parse(props.criteriaKey)), `count|${props.criteriaKey}`, { live: true });

  const columns = useMemo<ColumnDef<StoredFinding, unknown>[]>(
    () => [
      {
        id: 'score',
        header: 'Score',
        meta: { width: 126 },
        cell: ({ row }) => <SeverityBadge severity={row.original.severity} score={row.original.score} />,
      },
      {
        id: 'vulnerability',
        header: 'Vulnerability',
        enableSorting: false,
        cell: ({ row }) => (
          <div className="vuln-cell">
            <Link href={href('/findings', { ...Object.fromEntries(params), finding: row.original.findingId })} className="mono">
              {row.original.vulnerabilityId}
            </Link>
            {row.original.kev ? <span className="kev" title="Known exploited (CISA KEV)">KEV</span> : null}
            <div className="muted small clip" title={row.original.title}>
              {row.original.title}
            </div>
          </div>
        ),
      },
      {
        id: 'package',
        header: 'Package',
        meta: { width: 170 },
        enableSorting: false,
        cell: ({ row }) => {
          const pkg = row.original.package;
          // A network finding has no package: show the processes listening on the open port instead.
          if (!pkg) return <ListeningCell f={row.original} />;
          return (
            <div className="pkg-cell">
              <div className="mono clip" title={pkg.name}>
                {pkg.name}
              </div>
              <div className="muted mono small clip" title={`${pkg.version} (${pkg.ecosystem})`}>
                {pkg.version} · {pkg.ecosystem}
              </div>
            </div>
          );
        },
      },
      {
        id: 'fix',
        header: 'Fixed in',
        meta: { width: 130 },
        enableSorting: false,
        cell: ({ row }) =>
          row.original.fixedVersion ? (
            <div className="mono small clip fix-cell" title={row.original.fixedVersion}>
              {row.original.fixedVersion}
            </div>
          ) : (
            <span className="muted small">{row.original.fixAvailable === 'NO' ? 'no fix' : '—'}</span>
          ),
      },
      {
        id: 'resource',
        header: 'Resource',
        meta: { width: 190 },
        enableSorting: false,
        cell: ({ row }) => (
          <div className="res-cell" title={row.original.resource.name}>
            <div className="clip">{shortName(row.original.resource.name)}</div>
            <div className="muted small">{enumLabel(row.original.resource.type)}</div>
          </div>
        ),
      },
      { id: 'status', header: 'Status', enableSorting: false, meta: { width: 92 }, cell: ({ row }) => <span className={`status status-${row.original.status.toLowerCase()}`}>{enumLabel(row.original.status)}</span> },
      { id: 'epss', header: 'EPSS', meta: { width: 74 }, cell: ({ row }) => <span className="num">{pct(row.original.epss?.score)}</span> },
      {
        id: 'firstObservedAt',
        header: 'First seen',
        meta: { width: 112 },
        cell: ({ row }) => (
          <span className="nowrap" title={`First observed ${row.original.firstObservedAt}; last observed ${ago(row.original.lastObservedAt)}${row.original.dueAt ? `; due ${dateOnly(row.original.dueAt)}` : ''}`}>
            {dateOnly(row.original.firstObservedAt)}
            {row.original.slaStatus && row.original.slaStatus !== 'WITHIN' && row.original.status !== 'CLOSED' ? (
              <span className={`sla-tag sla-${row.original.slaStatus.toLowerCase()}`}>{row.original.slaStatus === 'BREACHED' ? 'past SLA' : 'due soon'}</span>
            ) : null}
          </span>
        ),
      },
    ],
    [params],
  );

  const data = page.data?.findings ?? [];
  return (
    <>
      <div className="table-meta" aria-live="polite">
        <span data-testid="findings-total">
          {total.data !== undefined ? `${num(total.data)} findings` : 'Counting findings…'}
        </span>
        {page.loading ? <span className="muted small"> · loading…</span> : null}
        <label className="inline small">
          Sort by{' '}
          <select value={`${sorting[0].id}:${sorting[0].desc ? 'desc' : 'asc'}`} onChange={(e) => setParams({ sort: e.target.value, cursor: undefined })}>
            <option value="score:desc">Score, highest first</option>
            <option value="severity:desc">Severity, worst first</option>
            <option value="epss:desc">EPSS, highest first</option>
            <option value="firstObservedAt:asc">First observed, oldest first</option>
            <option value="firstObservedAt:desc">First observed, newest first</option>
            <option value="lastObservedAt:desc">Last observed, newest first</option>
          </select>
        </label>
      </div>
      <ErrorNotice error={page.error} what="Search" />
      <DataTable
        label="Findings"
        fixedLayout
        data={data}
        columns={columns}
        rowId={(f) => f.findingId}
        selectedId={props.selected}
        onRowOpen={(f) => setParams({ finding: f.findingId })}
        sorting={sorting}
        onSortChange={(s) => {
          history.current = [];
          setParams({ sort: s[0] ? `${s[0].id}:${s[0].desc ? 'desc' : 'asc'}` : undefined, cursor: undefined });
        }}
        empty={page.loading ? 'Loading…' : 'No findings match this filter.'}
      />
      <CursorPager history={history} cursor={cursor} nextToken={page.data?.nextToken} onCursor={(c) => setParams({ cursor: c })} />
    </>
  );
}

function GroupTable(props: { group: (typeof GROUPS)[number]; criteriaKey: string; params: URLSearchParams }): ReactNode {
  const { group, params } = props;
  const sorting = parseSort(params.get('sort'), 'critical:desc');
  const sortBy = GROUP_SORTS[sorting[0].id] ?? 'CRITICAL';
  const rows = useApi(
    (ctx) => aggregateFindings(ctx, { aggregationType: group.type, filterCriteria: JSON.parse(props.criteriaKey), sortBy, sortOrder: sorting[0].desc ? 'DESC' : 'ASC', maxResults: 100 }),
    `${group.type}|${props.criteriaKey}|${sortBy}|${sorting[0].desc}`,
    { live: true },
  );
  const drill = (r: AggregationRow): string => {
    const next = new URLSearchParams(params);
    next.delete('group');
    next.delete('sort');
    next.delete('cursor');
    for (const [k, v] of Object.entries(group.drill(r))) if (v) next.set(k, v);
    return `/findings?${next.toString()}`;
  };
  const columns = useMemo<ColumnDef<AggregationRow, unknown>[]>(
    () => [
      {
        id: 'key',
        header: group.label,
        enableSorting: false,
        cell: ({ row }) => {
          const r = row.original;
          const name = r.label ? shortName(r.label) : r.key;
          // Bounded: the key column takes what the counts leave and clips; the whole text is on hover.
          const full = [r.label ?? r.key, r.label && r.label !== r.key ? r.key : undefined, r.title].filter(Boolean).join('\n');
          return (
            <div className="key-cell" title={full} data-testid="group-key">
              <Link href={drill(r)} className="mono clip block">
                {name}
              </Link>
              {r.label && r.label !== r.key ? <div className="muted small mono clip">{r.key}</div> : null}
              {r.title ? <div className="muted small clip">{r.title}</div> : null}
            </div>
          );
        },
      },
      { id: 'critical', header: 'Critical', meta: { width: 80 }, cell: ({ row }) => <SeverityCountsCells counts={row.original.severityCounts} only={['CRITICAL']} /> },
      { id: 'high', header: 'High', meta: { width: 70 }, cell: ({ row }) => <SeverityCountsCells counts={row.original.severityCounts} only={['HIGH']} /> },
      { id: 'medium', header: 'Medium', meta: { width: 70 }, enableSorting: false, cell: ({ row }) => <SeverityCountsCells counts={row.original.severityCounts} only={['MEDIUM']} /> },
      { id: 'low', header: 'Low', meta: { width: 60 }, enableSorting: false, cell: ({ row }) => <SeverityCountsCells counts={row.original.severityCounts} only={['LOW']} /> },
      { id: 'total', header: 'All', meta: { width: 70 }, cell: ({ row }) => <span className="num">{num(row.original.severityCounts.total)}</span> },
      { id: 'bar', header: 'Mix', enableSorting: false, meta: { width: 140 }, cell: ({ row }) => <SeverityBar counts={row.original.severityCounts} /> },
      { id: 'affectedResources', header: 'Resources', meta: { width: 90 }, cell: ({ row }) => <span className="num">{num(row.original.affectedResources)}</span> },
      { id: 'maxScore', header: 'Max score', meta: { width: 90 }, cell: ({ row }) => <span className="num">{row.original.maxScore?.toFixed(1) ?? '—'}</span> },
      { id: 'exploited', header: 'Exploited', meta: { width: 90 }, cell: ({ row }) => (row.original.exploited ? <span className="kev">{num(row.original.exploited)} KEV</span> : <span className="muted">—</span>) },
    ],
    // drill reads params: rebuild when they change.
    [group, params],
  );
  return (
    <>
      <div className="table-meta" aria-live="polite">
        <span data-testid="group-count">
          {num(rows.data?.rows.length)} {group.label.toLowerCase()} rows{rows.data?.nextToken ? ' (first 100)' : ''}
        </span>
        {rows.loading ? <span className="muted small"> · loading…</span> : null}
      </div>
      <ErrorNotice error={rows.error} what="Aggregation" />
      <DataTable
        label={`Findings grouped by ${group.label.toLowerCase()}`}
        fixedLayout
        data={rows.data?.rows ?? []}
        columns={columns}
        rowId={(r) => r.key}
        onRowOpen={(r) => {
          const u = new URL(drill(r), window.location.origin);
          setParams(Object.fromEntries([...u.searchParams.entries(), ['group', undefined], ['sort', undefined]]));
        }}
        sorting={sorting}
        onSortChange={(s) => setParams({ sort: s[0] ? `${s[0].id}:${s[0].desc ? 'desc' : 'asc'}` : undefined })}
        empty={rows.loading ? 'Loading…' : 'No findings match this filter.'}
      />
    </>
  );
}

function ExportButtons(props: { criteriaKey: string }): ReactNode {
  const { ctx } = useSession();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<Error>();
  async function run(format: 'csv' | 'json'): Promise<void> {
    setBusy(format);
    setError(undefined);
    try {
      const blob = await exportFindings(ctx, JSON.parse(props.criteriaKey), format);
      saveBlob(blob, `vigil-findings-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '')}.${format}`);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(undefined);
    }
  }
  return (
    <span className="export">
      <button type="button" onClick={() => void run('csv')} disabled={busy !== undefined}>
        {busy === 'csv' ? 'Exporting…' : 'Export CSV'}
      </button>
      <button type="button" onClick={() => void run('json')} disabled={busy !== undefined}>
        {busy === 'json' ? 'Exporting…' : 'Export JSON'}
      </button>
      {error ? (
        <span className="notice error inline" role="alert">
          {error.message}
        </span>
      ) : null}
    </span>
  );
}
