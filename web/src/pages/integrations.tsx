/** Integrations: watched registries, and webhook subscriptions with their delivery logs. */
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { ColumnDef } from '@tanstack/react-table';
import type { Delivery, Registry, RegistryInput, Severity, Subscription } from '../api.js';
import { SEVERITIES, createRegistry, createSubscription, listDeliveries, listRegistries, listSubscriptions, redeliver } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Card, ErrorNotice, PageHeader } from '../components/ui.js';
import { ago, dateTime, enumLabel, severityLabel } from '../format.js';
import { setParams, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { useSubmit } from '../use-submit.js';
import { useApi } from '../use-api.js';

const registryColumns: ColumnDef<Registry, unknown>[] = [
  { id: 'url', header: 'Registry', cell: ({ row }) => <span className="mono">{row.original.url}</span> },
  { id: 'name', header: 'Name', cell: ({ row }) => row.original.name ?? '—' },
  { id: 'modes', header: 'Mode', cell: ({ row }) => row.original.modes.map(enumLabel).join(', ') },
  {
    id: 'filters',
    header: 'Repositories',
    cell: ({ row }) => {
      const r = row.original.repositories;
      const include = r?.include.length ? r.include : ['*'];
      return <span className="mono small">{[...include, ...(r?.exclude ?? []).map((x) => `!${x}`)].join(' ')}</span>;
    },
  },
  { id: 'window', header: 'Rescan window', cell: ({ row }) => rescanWindowText(row.original.rescanWindow) },
  { id: 'account', header: 'Account', cell: ({ row }) => <span className="mono small">{row.original.accountId ?? '—'}</span> },
  { id: 'sync', header: 'Last sync', cell: ({ row }) => ago(row.original.lastSyncAt) },
];

/** A rescan window in words. */
function rescanWindowText(w: Registry['rescanWindow']): string {
  if (!w || w.kind === 'LIFETIME') return 'Lifetime';
  return `${w.days ?? '?'} days since ${w.kind === 'DAYS_SINCE_PUSH' ? 'push' : 'pull'}`;
}

/** The integrations page. */
export function IntegrationsPage(): ReactNode {
  const { params } = useLocation();
  const selected = params.get('subscription') ?? undefined;
  const registries = useApi(listRegistries, 'registries', { live: true });
  const subs = useApi(listSubscriptions, 'subscriptions', { live: true });
  const { principal } = useSession();
  const admin = principal.role === 'admin';
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
        {admin ? <RegistryForm onCreated={registries.reload} /> : null}
        <DataTable
          label="Registries"
          data={registries.data ?? []}
          columns={registryColumns}
          rowId={(r) => r.id}
          empty={registries.loading ? 'Loading…' : admin ? 'No registries yet: add one with the form above.' : 'No registries yet. An admin key can add one.'}
        />
      </Card>
      <Card title="Webhook subscriptions" id="subscriptions">
        <ErrorNotice error={subs.error} />
        {admin ? <SubscriptionForm onCreated={subs.reload} /> : null}
        <DataTable
          label="Webhook subscriptions"
          data={subs.data ?? []}
          columns={subColumns}
          rowId={(s) => s.id}
          selectedId={selected}
          onRowOpen={(s) => setParams({ subscription: s.id === selected ? undefined : s.id })}
          empty={subs.loading ? 'Loading…' : admin ? 'No subscriptions yet: add one with the form above.' : 'No subscriptions yet. An admin key can add one.'}
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

/** Splits a comma- or space-separated list. */
function list(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Adds a watched registry; shows the notification token and `config.yml` block once. */
function RegistryForm(props: { onCreated(): void }): ReactNode {
  const { ctx, account } = useSession();
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const [onPush, setOnPush] = useState(true);
  const [sync, setSync] = useState(false);
  const [include, setInclude] = useState('');
  const [windowKind, setWindowKind] = useState<'LIFETIME' | 'DAYS_SINCE_PUSH' | 'DAYS_SINCE_PULL'>('LIFETIME');
  const [days, setDays] = useState('30');
  const [created, setCreated] = useState<{ url: string; config: string }>();

  const { busy, error, onSubmit } = useSubmit(async () => {
    const modes: RegistryInput['modes'] = [...(onPush ? (['ON_PUSH'] as const) : []), ...(sync ? (['SCHEDULED_SYNC'] as const) : [])];
    const res = await createRegistry(ctx, {
      url: url.trim(),
      name: name.trim() || undefined,
      accountId: account,
      modes,
      repositories: { include: list(include), exclude: [] },
      rescanWindow: windowKind === 'LIFETIME' ? { kind: 'LIFETIME' } : { kind: windowKind, days: Number(days) },
    });
    setCreated({ url: res.notificationUrl, config: res.registryConfig });
    setUrl('');
    setName('');
    props.onCreated();
  });
  return (
    <>
      <form className="create-form" onSubmit={onSubmit} aria-label="Add a registry">
        <label>
          Registry URL
          <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://registry.example.com" required type="url" />
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="production" maxLength={200} />
        </label>
        <fieldset className="fc">
          <legend>Scan</legend>
          <label className="inline">
            <input type="checkbox" checked={onPush} onChange={(e) => setOnPush(e.target.checked)} /> on push
          </label>
          <label className="inline">
            <input type="checkbox" checked={sync} onChange={(e) => setSync(e.target.checked)} /> by catalog sync
          </label>
        </fieldset>
        <label>
          Repositories
          <input value={include} onChange={(e) => setInclude(e.target.value)} placeholder="all, or team/*, app" />
        </label>
        <label>
          Rescan
          <select value={windowKind} onChange={(e) => setWindowKind(e.target.value as typeof windowKind)}>
            <option value="LIFETIME">for the image's lifetime</option>
            <option value="DAYS_SINCE_PUSH">days since push</option>
            <option value="DAYS_SINCE_PULL">days since pull</option>
          </select>
        </label>
        {windowKind === 'LIFETIME' ? null : (
          <label>
            Days
            <input type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} required />
          </label>
        )}
        <button type="submit" className="primary" disabled={busy || !url.trim() || (!onPush && !sync)} data-testid="add-registry">
          {busy ? 'Adding…' : 'Add registry'}
        </button>
      </form>
      <ErrorNotice error={error} what="Could not add the registry" />
      {created ? (
        <div className="notice ok" role="status" data-testid="registry-created">
          Registry added. Point its notifications at <code>{created.url}</code> with this block in its <code>config.yml</code> (the token is shown once):
          <pre className="secret">{created.config}</pre>
        </div>
      ) : null}
    </>
  );
}

/** Subscribes a webhook endpoint; shows the signing secret once. */
function SubscriptionForm(props: { onCreated(): void }): ReactNode {
  const { ctx } = useSession();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const [minSeverity, setMinSeverity] = useState<Severity | ''>('');
  const [secret, setSecret] = useState<string>();

  const { busy, error, onSubmit } = useSubmit(async () => {
    const res = await createSubscription(ctx, { url: url.trim(), eventTypes: list(events).length ? list(events) : ['*'], filters: minSeverity ? { minSeverity } : {} });
    setSecret(res.secret);
    setUrl('');
    props.onCreated();
  });
  return (
    <>
      <form className="create-form" onSubmit={onSubmit} aria-label="Add a webhook subscription">
        <label>
          Endpoint URL
          <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.example.com/vigil" required type="url" />
        </label>
        <label>
          Events
          <input value={events} onChange={(e) => setEvents(e.target.value)} placeholder="*, vigil.finding.*" />
        </label>
        <label>
          Minimum severity
          <select value={minSeverity} onChange={(e) => setMinSeverity(e.target.value as Severity | '')}>
            <option value="">Any</option>
            {SEVERITIES.filter((s) => s !== 'UNTRIAGED').map((s) => (
              <option key={s} value={s}>
                {severityLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy || !url.trim()} data-testid="add-subscription">
          {busy ? 'Adding…' : 'Add webhook'}
        </button>
      </form>
      <ErrorNotice error={error} what="Could not add the webhook" />
      {secret ? (
        <div className="notice ok" role="status" data-testid="subscription-created">
          Webhook added. Its signing secret (shown once, copy it now): <code className="secret">{secret}</code>
        </div>
      ) : null}
    </>
  );
}
