/** Integrations: watched registries, and webhook subscriptions with their delivery logs. */
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { ColumnDef } from '@tanstack/react-table';
import type { Delivery, Registry, Subscription } from '../api.js';
import { listDeliveries, listRegistries, listSubscriptions, redeliver } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Card, ErrorNotice, PageHeader } from '../components/ui.js';
import { ago, dateTime, enumLabel, severityLabel } from '../format.js';
import { setParams, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { useApi } from '../use-api.js';

const registryColumns: ColumnDef<Registry, unknown>[] = [
  { id: 'url', header: 'Registry', cell: ({ row }) => <span className="mono">{row.original.url}</span> },
  { id: 'modes', header: 'Mode', cell: ({ row }) => row.original.modes.map(enumLabel).join(', ') },
  { id: 'filters', header: 'Repositories', cell: ({ row }) => <span className="mono small">{[...(row.original.include ?? ['*']), ...(row.original.exclude ?? []).map((x) => `!${x}`)].join(' ')}</span> },
  { id: 'window', header: 'Rescan window', cell: ({ row }) => row.original.rescanWindow ?? 'Lifetime' },
  { id: 'account', header: 'Account', cell: ({ row }) => <span className="mono small">{row.original.accountId ?? '—'}</span> },
  { id: 'sync', header: 'Last sync', cell: ({ row }) => ago(row.original.lastSyncAt) },
];

/** The integrations page. */
export function IntegrationsPage(): ReactNode {
  const { params } = useLocation();
  const selected = params.get('subscription') ?? undefined;
  const registries = useApi(listRegistries, 'registries', { live: true });
  const subs = useApi(listSubscriptions, 'subscriptions', { live: true });
  const subColumns: ColumnDef<Subscription, unknown>[] = [
    { id: 'url', header: 'Endpoint', cell: ({ row }) => <span className="mono">{row.original.url}</span> },
    { id: 'events', header: 'Events', cell: ({ row }) => <span className="mono small">{row.original.eventTypes.join(', ')}</span> },
    { id: 'min', header: 'Minimum severity', cell: ({ row }) => (row.original.minimumSeverity ? severityLabel(row.original.minimumSeverity) : 'Any') },
    { id: 'account', header: 'Account', cell: ({ row }) => <span className="mono small">{row.original.accountId ?? '—'}</span> },
    { id: 'enabled', header: 'State', cell: ({ row }) => (row.original.enabled === false ? 'Paused' : 'Active') },
  ];
  return (
    <div className="page integrations">
      <PageHeader title="Integrations" subtitle="Registries Vigil watches for pushes, and where it sends events." />
      <Card title="Registries" id="registries">
        <ErrorNotice error={registries.error} />
        <DataTable label="Registries" data={registries.data ?? []} columns={registryColumns} rowId={(r) => r.id} empty={registries.loading ? 'Loading…' : 'No registries. Add one with POST /api/v1/registries.'} />
      </Card>
      <Card title="Webhook subscriptions" id="subscriptions">
        <ErrorNotice error={subs.error} />
        <DataTable
          label="Webhook subscriptions"
          data={subs.data ?? []}
          columns={subColumns}
          rowId={(s) => s.id}
          selectedId={selected}
          onRowOpen={(s) => setParams({ subscription: s.id === selected ? undefined : s.id })}
          empty={subs.loading ? 'Loading…' : 'No subscriptions. Add one with POST /api/v1/subscriptions.'}
        />
        {selected ? <Deliveries subscriptionId={selected} /> : <p className="muted small">Select a subscription to see its delivery log.</p>}
      </Card>
    </div>
  );
}

function Deliveries(props: { subscriptionId: string }): ReactNode {
  const { ctx, principal } = useSession();
  const log = useApi((c) => listDeliveries(c, props.subscriptionId), props.subscriptionId, { live: true });
  const [error, setError] = useState<Error>();
  const columns: ColumnDef<Delivery, unknown>[] = [
    { id: 'event', header: 'Event', cell: ({ row }) => <span className="mono small">{row.original.eventType}</span> },
    { id: 'status', header: 'Status', cell: ({ row }) => <span className={`status dl-${row.original.status.toLowerCase()}`}>{enumLabel(row.original.status)}</span> },
    { id: 'attempts', header: 'Attempts', cell: ({ row }) => row.original.attempts },
    { id: 'response', header: 'Response', cell: ({ row }) => row.original.responseStatus ?? row.original.error ?? '—' },
    { id: 'last', header: 'Last attempt', cell: ({ row }) => dateTime(row.original.lastAttemptAt) },
    { id: 'next', header: 'Next attempt', cell: ({ row }) => dateTime(row.original.nextAttemptAt) },
    {
      id: 'redeliver',
      header: '',
      cell: ({ row }) =>
        principal.role === 'admin' && row.original.status !== 'PENDING' ? (
          <button type="button" className="small" onClick={() => redeliver(ctx, props.subscriptionId, row.original.id).then(log.reload, setError)}>
            Redeliver
          </button>
        ) : null,
    },
  ];
  return (
    <section aria-label="Delivery log" className="deliveries">
      <h3>Delivery log</h3>
      <ErrorNotice error={error ?? log.error} />
      <DataTable label="Delivery log" data={log.data ?? []} columns={columns} rowId={(d) => d.id} empty={log.loading ? 'Loading…' : 'No deliveries yet.'} />
    </section>
  );
}
