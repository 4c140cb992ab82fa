/**
 * One resource (`/resources/{id}`): what it is, the containers a host runs or the hosts an
 * image runs on, its active findings and the packages of its latest inventory, each package
 * with its findings, and its SBOM in CycloneDX or SPDX.
 *
 * The page is a list of tabs ({@link RESOURCE_TABS}); a tab is a component given the
 * resource. Further tabs (e.g. a remediation plan) are added to that list, nothing else.
 */
import { useMemo, useState } from 'react';
import type { ComponentType, MouseEvent, ReactNode } from 'react';
import type { ColumnDef } from '@tanstack/react-table';
import type { AggregationRow, InventoryPackage, ResourceInfo, StoredFinding } from '../api.js';
import { aggregateFindings, downloadSbom, getResource, latestPackages, sbomUrl, searchFindings } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { RemediationPlan } from './remediation-plan.js';
import { RunningImagesCard } from './running-images.js';
import { Card, ErrorNotice, Link, Loading, PageHeader, SeverityBadge, SeverityCountsCells } from '../components/ui.js';
import { ago, enumLabel, num, pct } from '../format.js';
import { href, setParams, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { saveBlob } from '../save-blob.js';
import { useApi } from '../use-api.js';

/** What a tab of the resource page is given. */
export interface ResourceTabProps {
  resource: ResourceInfo;
}

/** One tab of the resource page. */
export interface ResourceTab {
  /** The `tab` query parameter that selects it. */
  id: string;
  label: string;
  component: ComponentType<ResourceTabProps>;
}

const ACTIVE = [{ comparison: 'EQUALS' as const, value: 'ACTIVE' }];

/** The resource id of a `/resources/{id}` path, if the path is one. */
export function resourceIdOf(path: string): string | undefined {
  const m = /^\/resources\/([^/]+)\/?$/.exec(path);
  return m ? decodeURIComponent(m[1]) : undefined;
}

/** The resource page for `/resources/{id}`. */
export function ResourceDetailPage(props: { id: string }): ReactNode {
  const { params } = useLocation();
  const resource = useApi((ctx) => getResource(ctx, props.id), `resource|${props.id}`, { live: true });
  const r = resource.data;
  const tab = RESOURCE_TABS.find((t) => t.id === params.get('tab')) ?? RESOURCE_TABS[0];
  const Tab = tab.component;
  return (
    <div className="page resource-detail">
      <PageHeader
        title={r?.name ?? props.id}
        subtitle={r ? `${enumLabel(r.type)} · account ${r.accountId}${r.os ? ` · ${r.os}` : ''} · last scan ${ago(r.lastScanAt)}` : undefined}
        actions={<SbomLinks id={props.id} />}
      />
      <p className="muted small">
        <Link href="/resources">← All resources</Link> · <span className="mono">{props.id}</span>
      </p>
      <ErrorNotice error={resource.error} what="Resource" />
      {!r ? (
        resource.error ? null : <Loading />
      ) : (
        <>
          <RunningImagesCard resource={r} />
          <div className="tabs" role="tablist" aria-label="Resource">
            {RESOURCE_TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={t.id === tab.id}
                aria-controls="resource-tabpanel"
                onClick={() => setParams({ tab: t.id === RESOURCE_TABS[0].id ? undefined : t.id })}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id="resource-tabpanel" aria-labelledby={`tab-${tab.id}`}>
            <Tab resource={r} />
          </div>
        </>
      )}
    </div>
  );
}

/** Links to the resource's SBOM; clicking downloads it with the session's key. */
function SbomLinks(props: { id: string }): ReactNode {
  const { ctx } = useSession();
  const [error, setError] = useState<Error>();
  function get(format: 'cyclonedx' | 'spdx') {
    return (e: MouseEvent<HTMLAnchorElement>): void => {
      // A plain navigation would go without the Authorization header: fetch, then save.
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      setError(undefined);
      downloadSbom(ctx, props.id, format).then((blob) => {
        saveBlob(blob, `${props.id}.${format === 'spdx' ? 'spdx' : 'cdx'}.json`);
      }, setError);
    };
  }
  return (
    <span className="sbom-links">
      <span className="muted small">SBOM:</span>
      <a className="button" href={sbomUrl(props.id, 'cyclonedx')} onClick={get('cyclonedx')} data-testid="sbom-cyclonedx">
        CycloneDX
      </a>
      <a className="button" href={sbomUrl(props.id, 'spdx')} onClick={get('spdx')} data-testid="sbom-spdx">
        SPDX
      </a>
      {error ? (
        <span className="notice error inline" role="alert">
          {error.message}
        </span>
      ) : null}
    </span>
  );
}

/** The resource's active findings, worst first, with a link to all of them in the explorer. */
function FindingsTab(props: ResourceTabProps): ReactNode {
  const id = props.resource.id;
  const findings = useApi((ctx) => searchFindings(ctx, { filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: id }], status: ACTIVE }, sort: { field: 'SCORE', order: 'DESC' }, maxResults: 100 }), `resource-findings|${id}`, { live: true });
  const columns = useMemo<ColumnDef<StoredFinding, unknown>[]>(
    () => [
      { id: 'score', header: 'Score', meta: { width: 126 }, cell: ({ row }) => <SeverityBadge severity={row.original.severity} score={row.original.score} /> },
      {
        id: 'vuln',
        header: 'Vulnerability',
        cell: ({ row }) => (
          <div className="key-cell" title={row.original.title}>
            <Link className="mono" href={href('/findings', { resource: id, status: 'ACTIVE', finding: row.original.findingId })}>
              {row.original.vulnerabilityId}
            </Link>
            {row.original.kev ? <span className="kev">KEV</span> : null}
            <div className="muted small clip">{row.original.title}</div>
          </div>
        ),
      },
      { id: 'pkg', header: 'Package', meta: { width: 190 }, cell: ({ row }) => <div className="mono clip" title={`${row.original.package?.name ?? ''} ${row.original.package?.version ?? ''}`}>{row.original.package?.name} {row.original.package?.version}</div> },
      { id: 'fix', header: 'Fixed in', meta: { width: 130 }, cell: ({ row }) => <div className="mono small clip">{row.original.fixedVersion ?? '—'}</div> },
      { id: 'epss', header: 'EPSS', meta: { width: 74 }, cell: ({ row }) => <span className="num">{pct(row.original.epss?.score)}</span> },
    ],
    [id],
  );
  return (
    <Card title="Active findings" id="resource-findings" actions={<Link href={href('/findings', { resource: id, status: 'ACTIVE' })}>Open in the explorer →</Link>}>
      <ErrorNotice error={findings.error} />
      <DataTable
        label="Findings of this resource"
        fixedLayout
        data={findings.data?.findings ?? []}
        columns={columns}
        rowId={(f) => f.findingId}
        empty={findings.loading ? 'Loading…' : 'No active findings.'}
      />
      {findings.data?.nextToken ? <p className="muted small">The 100 worst are shown; the explorer has all of them.</p> : null}
    </Card>
  );
}

interface PackageRow extends InventoryPackage {
  counts?: AggregationRow['severityCounts'];
}

/** The packages of the latest inventory with their active findings per severity. */
function PackagesTab(props: ResourceTabProps): ReactNode {
  const id = props.resource.id;
  const packages = useApi((ctx) => latestPackages(ctx, id), `resource-packages|${id}|${props.resource.inventoryVersion}`);
  const groups = useApi(
    (ctx) => aggregateFindings(ctx, { aggregationType: 'PACKAGE', filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: id }], status: ACTIVE }, sortBy: 'CRITICAL', sortOrder: 'DESC', maxResults: 1000 }),
    `resource-package-counts|${id}`,
    { live: true },
  );
  const [q, setQ] = useState('');
  const rows = useMemo<PackageRow[]>(() => {
    const byPkg = new Map((groups.data?.rows ?? []).map((g) => [`${g.keys?.packageEcosystem}|${g.keys?.packageName}`, g.severityCounts]));
    const needle = q.trim().toLowerCase();
    return (packages.data ?? [])
      .filter((p) => !needle || p.name.toLowerCase().includes(needle))
      .map((p) => ({ ...p, counts: byPkg.get(`${p.ecosystem}|${p.name}`) }));
  }, [packages.data, groups.data, q]);
  const columns = useMemo<ColumnDef<PackageRow, unknown>[]>(
    () => [
      {
        id: 'name',
        header: 'Package',
        accessorFn: (p) => p.name,
        cell: ({ row }) => (
          <div className="key-cell" title={row.original.purl ?? row.original.name}>
            <div className="mono clip">{row.original.name}</div>
            {row.original.locations?.length ? <div className="muted small mono clip">{row.original.locations[0]}</div> : null}
          </div>
        ),
      },
      { id: 'version', header: 'Version', meta: { width: 200 }, accessorFn: (p) => p.version, cell: ({ row }) => <div className="mono small clip" title={row.original.version}>{row.original.version}</div> },
      { id: 'ecosystem', header: 'Ecosystem', meta: { width: 150 }, accessorFn: (p) => p.ecosystem, cell: ({ row }) => <div className="clip">{row.original.ecosystem}</div> },
      {
        id: 'findings',
        header: 'Active findings (Crit / High / Med / Low)',
        meta: { width: 220 },
        accessorFn: (p) => p.counts?.total ?? 0,
        cell: ({ row }) =>
          row.original.counts ? (
            <Link href={href('/findings', { resource: id, status: 'ACTIVE', pkg: row.original.name, ecosystem: row.original.ecosystem })}>
              <SeverityCountsCells counts={row.original.counts} />
            </Link>
          ) : (
            <span className="muted">none</span>
          ),
      },
    ],
    [id],
  );
  return (
    <Card title={`Packages${packages.data ? ` (${num(packages.data.length)})` : ''}`} id="resource-packages">
      <ErrorNotice error={packages.error ?? groups.error} />
      <div className="create-form">
        <label>
          Find a package
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="openssl" />
        </label>
      </div>
      <DataTable
        label="Packages"
        fixedLayout
        data={rows}
        columns={columns}
        rowId={(p) => `${p.ecosystem}|${p.name}|${p.version}|${p.locations?.[0] ?? ''}`}
        empty={packages.loading ? 'Loading…' : 'No stored inventory, or no packages in it.'}
      />
    </Card>
  );
}

/**
 * The tabs of the resource page, the first one shown by default. Add a tab with one line
 * at the end: `{ id: 'remediation', label: 'Remediation plan', component: RemediationPlanTab }`.
 */
export const RESOURCE_TABS: ResourceTab[] = [
  { id: 'findings', label: 'Findings', component: FindingsTab },
  { id: 'packages', label: 'Packages', component: PackagesTab },
  { id: 'remediation', label: 'Remediation plan', component: ({ resource }) => <RemediationPlan resourceId={resource.id} /> },
];
