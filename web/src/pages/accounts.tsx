/** Accounts, API keys, and month-to-date usage with the projected cost. */
import { useMemo, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { ColumnDef } from '@tanstack/react-table';
import type { AggregationRow, ApiKey, Principal, UsageEntry } from '../api.js';
import { aggregateFindings, createAccount, createKey, getUsage, listAccounts, listKeys, revokeKey } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Card, ErrorNotice, Link, PageHeader, SeverityCountsCells } from '../components/ui.js';
import { ago, dateOnly, money, num } from '../format.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { useSubmit } from '../use-submit.js';
import { useApi } from '../use-api.js';

interface AccountRow {
  id: string;
  name: string;
  findings?: AggregationRow;
  usage?: UsageEntry;
}

/** The accounts page. */
export function AccountsPage(): ReactNode {
  const { principal } = useSession();
  const accounts = useApi(listAccounts, 'accounts', { enabled: principal.delegatedAdmin });
  const counts = useApi((ctx) => aggregateFindings(ctx, { aggregationType: 'ACCOUNT', filterCriteria: { status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] }, maxResults: 100 }), 'acct-counts', { live: true });
  const usage = useApi(getUsage, 'usage', { live: true });

  const rows = useMemo<AccountRow[]>(() => {
    const list = principal.delegatedAdmin ? (accounts.data ?? []) : [{ id: principal.accountId, name: principal.accountName ?? principal.accountId }];
    return list.map((a) => ({
      id: a.id,
      name: a.name,
      findings: counts.data?.rows.find((r) => r.key === a.id),
      usage: usage.data?.find((u) => u.accountId === a.id),
    }));
  }, [accounts.data, counts.data, usage.data, principal]);

  const columns = useMemo<ColumnDef<AccountRow, unknown>[]>(
    () => [
      {
        id: 'name',
        header: 'Account',
        cell: ({ row }) => (
          <div>
            <Link href={href('/findings', { account: row.original.id, status: 'ACTIVE' })}>{row.original.name}</Link>
            {row.original.name !== row.original.id ? <div className="muted small mono">{row.original.id}</div> : null}
          </div>
        ),
      },
      { id: 'findings', header: 'Active findings (C / H / M / L)', cell: ({ row }) => (row.original.findings ? <SeverityCountsCells counts={row.original.findings.severityCounts} /> : <span className="muted">none</span>) },
      { id: 'resources', header: 'Affected resources', cell: ({ row }) => <span className="num">{num(row.original.findings?.affectedResources ?? 0)}</span> },
      { id: 'hostHours', header: 'Host-hours', cell: ({ row }) => <span className="num">{num(row.original.usage?.hostHours)}</span> },
      { id: 'scans', header: 'Image scans / rescans', cell: ({ row }) => <span className="num">{row.original.usage ? `${num(row.original.usage.imageScans)} / ${num(row.original.usage.imageRescans)}` : '—'}</span> },
      { id: 'cost', header: 'Cost to date', cell: ({ row }) => <span className="num">{money(row.original.usage?.cost.total, row.original.usage?.cost.currency)}</span> },
      { id: 'projected', header: 'Projected month', cell: ({ row }) => <span className="num">{money(row.original.usage?.projected.total, row.original.usage?.cost.currency)}</span> },
    ],
    [],
  );
  const totals = (usage.data ?? []).reduce((a, u) => ({ cost: a.cost + u.cost.total, projected: a.projected + u.projected.total }), { cost: 0, projected: 0 });
  const currency = usage.data?.[0]?.cost.currency ?? 'USD';

  return (
    <div className="page accounts">
      <PageHeader title="Accounts, keys and usage" subtitle={`Month to date${usage.data?.[0] ? ` (${usage.data[0].month})` : ''}: ${money(totals.cost, currency)} spent, ${money(totals.projected, currency)} projected for the month.`} />
      <ErrorNotice error={accounts.error ?? counts.error ?? usage.error} />
      <Card title="Accounts" id="accounts">
        {principal.delegatedAdmin && principal.role === 'admin' ? <AccountForm onCreated={accounts.reload} /> : null}
        <DataTable label="Accounts" data={rows} columns={columns} rowId={(r) => r.id} empty={accounts.loading ? 'Loading…' : 'No accounts.'} />
      </Card>
      {principal.role === 'admin' ? <Keys principal={principal} accounts={rows.map((r) => r.id)} /> : <p className="muted">Key management needs an admin key.</p>}
    </div>
  );
}

function Keys(props: { principal: Principal; accounts: string[] }): ReactNode {
  const { ctx } = useSession();
  const keys = useApi(listKeys, 'keys');
  const [account, setAccount] = useState(props.principal.accountId);
  const [role, setRole] = useState<Principal['role']>('viewer');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string>();
  const [error, setError] = useState<Error>();

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setError(undefined);
    try {
      const k = await createKey(ctx, { accountId: account, role, name: name.trim() || undefined });
      setCreated(k.key);
      setName('');
      keys.reload();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    }
  }
  const columns: ColumnDef<ApiKey, unknown>[] = [
    { id: 'name', header: 'Key', cell: ({ row }) => <span>{row.original.name ?? <span className="mono">{row.original.prefix ?? row.original.id}</span>}</span> },
    { id: 'account', header: 'Account', cell: ({ row }) => <span className="mono small">{row.original.accountId}</span> },
    { id: 'role', header: 'Role', cell: ({ row }) => row.original.role },
    { id: 'created', header: 'Created', cell: ({ row }) => dateOnly(row.original.createdAt) },
    { id: 'used', header: 'Last used', cell: ({ row }) => ago(row.original.lastUsedAt) },
    {
      id: 'revoke',
      header: '',
      enableSorting: false,
      cell: ({ row }) =>
        row.original.revokedAt ? (
          <span className="muted small">revoked {dateOnly(row.original.revokedAt)}</span>
        ) : row.original.id === props.principal.keyId ? (
          <span className="muted small">this session</span>
        ) : (
          <button
            type="button"
            className="danger small"
            onClick={() => {
              if (window.confirm('Revoke this key? Clients using it stop working at once.')) revokeKey(ctx, row.original.id).then(keys.reload, setError);
            }}
          >
            Revoke
          </button>
        ),
    },
  ];
  return (
    <Card title="API keys" id="keys">
      <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Create an API key">
        <div className="fc">
          <label htmlFor="k-acct">Account</label>
          {props.principal.delegatedAdmin ? (
            <select id="k-acct" value={account} onChange={(e) => setAccount(e.target.value)}>
              {props.accounts.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          ) : (
            <input id="k-acct" value={account} readOnly />
          )}
        </div>
        <div className="fc">
          <label htmlFor="k-role">Role</label>
          <select id="k-role" value={role} onChange={(e) => setRole(e.target.value as Principal['role'])}>
            <option value="viewer">viewer (read)</option>
            <option value="scanner">scanner (submit scans)</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <div className="fc">
          <label htmlFor="k-name">Name</label>
          <input id="k-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="ci-pipeline" />
        </div>
        <button type="submit" className="primary">
          Create key
        </button>
      </form>
      {created ? (
        <div className="notice ok" role="status">
          New key (shown once, copy it now): <code className="secret">{created}</code>
        </div>
      ) : null}
      <ErrorNotice error={error ?? keys.error} />
      <DataTable label="API keys" data={keys.data ?? []} columns={columns} rowId={(k) => k.id} empty={keys.loading ? 'Loading…' : 'No keys.'} />
    </Card>
  );
}

/** Creates an account (the delegated administrator's admins only). */
function AccountForm(props: { onCreated(): void }): ReactNode {
  const { ctx } = useSession();
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string>();
  const { busy, error, onSubmit } = useSubmit(async () => {
    const a = await createAccount(ctx, { id: id.trim(), name: name.trim() || undefined });
    setCreated(a.id);
    setId('');
    setName('');
    props.onCreated();
  });
  return (
    <>
      <form className="create-form" onSubmit={onSubmit} aria-label="Create an account">
        <label>
          Account id
          <input value={id} onChange={(e) => setId(e.target.value)} placeholder="payments" required pattern="[a-z0-9][a-z0-9_-]{0,62}" title="Lower-case letters, digits, dashes and underscores (at most 63)" />
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Payments team" maxLength={200} />
        </label>
        <button type="submit" className="primary" disabled={busy || !id.trim()} data-testid="create-account">
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <ErrorNotice error={error} what="Could not create the account" />
      {created ? (
        <div className="notice ok" role="status">
          Account <span className="mono">{created}</span> created. Create a key for it below.
        </div>
      ) : null}
    </>
  );
}
