/** Resources and coverage: every host, image and repository with its scan status. */
import { useMemo, useRef } from 'react';
import type { ReactNode } from 'react';
import type { ColumnDef } from '@tanstack/react-table';
import type { CoverageEntry } from '../api.js';
import { listCoverage, resourceCounts } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { CursorPager, ErrorNotice, Link, PageHeader, SeverityCountsCells } from '../components/ui.js';
import { ago, enumLabel, num, shortName } from '../format.js';
import { href, setParams, useLocation } from '../router.js';
import { useApi } from '../use-api.js';
import { ResourceDetailPage, resourceIdOf } from './resource-detail.js';

const TYPES = ['CONTAINER_IMAGE', 'HOST', 'REPOSITORY', 'PACKAGE_ARCHIVE'];
const REASONS = ['SUCCESSFUL', 'PENDING_INITIAL_SCAN', 'UNSUPPORTED_OS', 'NO_INVENTORY', 'STALE_INVENTORY', 'SCAN_FAILED', 'EXCLUDED_BY_TAG', 'SCAN_ELIGIBILITY_EXPIRED'];

/**
 * The coverage reason, and under it what the last scan could not judge (its first line; all
 * of them on hover), so that "unsupported OS" says which release lacks data or is end of life.
 */
function ReasonCell({ status, reason, detail }: { status: string; reason: string; detail?: string }): ReactNode {
  const lines = detail?.split('\n') ?? [];
  return (
    <div title={detail}>
      <span className={status === 'INACTIVE' ? 'warn' : 'muted'}>{enumLabel(reason)}</span>
      {lines.length > 0 && (
        <div className="muted small detail-lines" data-testid="coverage-detail">
          {lines[0]}
          {lines.length > 1 ? ` (+${lines.length - 1} more)` : ''}
        </div>
      )}
    </div>
  );
}

/** The resources page, or one resource's page at `/resources/{id}`. */
export function ResourcesPage(): ReactNode {
  const { path } = useLocation();
  const id = resourceIdOf(path);
  return id ? <ResourceDetailPage key={id} id={id} /> : <ResourceList />;
}

function ResourceList(): ReactNode {
  const { params } = useLocation();
  const type = params.get('type') ?? '';
  const status = params.get('status') ?? '';
  const reason = params.get('reason') ?? '';
  const account = params.get('account') ?? '';
  const cursor = params.get('cursor') ?? undefined;
  const history = useRef<(string | undefined)[]>([]);
  const page = useApi(
    (ctx) => listCoverage(ctx, { resourceType: type || undefined, status: status || undefined, accountId: account || undefined, reason: reason || undefined, maxResults: 100, nextToken: cursor }),
    `${type}|${status}|${reason}|${account}|${cursor}`,
    { live: true },
  );
  const ids = (page.data?.resources ?? []).map((r) => r.resourceId);
  const counts = useApi((ctx) => resourceCounts(ctx, ids), `counts|${ids.join(',')}`, { live: true, enabled: ids.length > 0 });
  const rows = useMemo(() => (page.data?.resources ?? []).map((r) => ({ ...r, severityCounts: counts.data?.[r.resourceId] ?? (counts.data ? {} : undefined) })), [page.data, counts.data]);
  const columns = useMemo<ColumnDef<CoverageEntry, unknown>[]>(
    () => [
      {
        id: 'name',
        header: 'Resource',
        cell: ({ row }) => (
          <div title={row.original.name}>
            <div className="clip">
              <Link className="block clip" href={`/resources/${encodeURIComponent(row.original.resourceId)}`}>
                {shortName(row.original.name)}
              </Link>
            </div>
            <div className="muted small mono clip">{row.original.resourceId}</div>
          </div>
        ),
      },
      { id: 'type', header: 'Type', meta: { width: 140 }, cell: ({ row }) => enumLabel(row.original.resourceType) },
      { id: 'status', header: 'Scan status', meta: { width: 104 }, cell: ({ row }) => <span className={`status cov-${row.original.status.toLowerCase()}`}>{enumLabel(row.original.status)}</span> },
      {
        id: 'reason',
        header: 'Reason',
        meta: { width: 280 },
        cell: ({ row }) => <ReasonCell status={row.original.status} reason={row.original.reason} detail={row.original.detail} />,
      },
      { id: 'lastScanAt', header: 'Last scan', meta: { width: 100 }, cell: ({ row }) => <span title={row.original.lastScanAt}>{ago(row.original.lastScanAt)}</span> },
      { id: 'account', header: 'Account', meta: { width: 110 }, cell: ({ row }) => <span className="mono small">{row.original.accountId}</span> },
      {
        id: 'findings',
        header: 'Findings (C / H / M / L)',
        meta: { width: 180 },
        enableSorting: false,
        cell: ({ row }) =>
          row.original.severityCounts ? (
            <Link href={href('/findings', { resource: row.original.resourceId, status: 'ACTIVE' })} title="Open these findings in the explorer">
              <SeverityCountsCells counts={row.original.severityCounts} />
            </Link>
          ) : (
            <span className="muted">—</span>
          ),
      },
    ],
    [],
  );
  return (
    <div className="page resources">
      <PageHeader title="Resources and coverage" subtitle="Every host, image and repository Vigil knows, whether it is scanned, and why not." />
      <form className="filter-bar" role="search" aria-label="Filter resources" onSubmit={(e) => e.preventDefault()}>
        <div className="filter-row">
          <Select id="rt" label="Type" value={type} options={TYPES} onChange={(v) => setParams({ type: v, cursor: undefined })} />
          <Select id="rs" label="Status" value={status} options={['ACTIVE', 'INACTIVE']} onChange={(v) => setParams({ status: v, cursor: undefined })} />
          <Select id="rr" label="Reason" value={reason} options={REASONS} onChange={(v) => setParams({ reason: v, cursor: undefined })} />
          <div className="fc">
            <label htmlFor="ra">Account</label>
            <input
              id="ra"
              type="search"
              defaultValue={account}
              key={account}
              data-filter-focus=""
              placeholder="account id"
              onKeyDown={(e) => e.key === 'Enter' && setParams({ account: e.currentTarget.value.trim() || undefined, cursor: undefined })}
              onBlur={(e) => e.currentTarget.value.trim() !== account && setParams({ account: e.currentTarget.value.trim() || undefined, cursor: undefined })}
            />
          </div>
        </div>
      </form>
      <div className="table-meta">
        <span data-testid="resources-total">
          {num(page.data?.resources.length)} resources{page.data?.nextToken ? ' on this page' : ''}
        </span>
        {page.loading ? <span className="muted small"> · loading…</span> : null}
      </div>
      <ErrorNotice error={page.error} what="Coverage" />
      <DataTable label="Resources" fixedLayout data={rows} columns={columns} rowId={(r) => r.resourceId} empty={page.loading ? 'Loading…' : 'No resources match.'} />
      <CursorPager history={history} cursor={cursor} nextToken={page.data?.nextToken} onCursor={(c) => setParams({ cursor: c })} />
    </div>
  );
}

function Select(props: { id: string; label: string; value: string; options: string[]; onChange(v: string | undefined): void }): ReactNode {
  return (
    <div className="fc">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value || undefined)}>
        <option value="">Any</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {enumLabel(o)}
          </option>
        ))}
      </select>
    </div>
  );
}
