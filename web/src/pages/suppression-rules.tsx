/**
 * Suppression rules: the list (with stale rules flagged) and the form that creates a rule
 * from the explorer's filter, previewing live what it would suppress.
 */
import { useMemo, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { ColumnDef } from '@tanstack/react-table';
import type { RuleScope, SuppressionRule } from '../api.js';
import { JUSTIFICATIONS, countFindings, createRule, deleteRule, listAccounts, listRules, previewRule, searchFindings, updateRule } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { FilterBar } from '../components/filter-bar.js';
import { Card, ErrorNotice, Link, PageHeader, SeverityBadge } from '../components/ui.js';
import { criteriaFromParams, describeFilter, filterParams, paramsFromCriteria } from '../filters.js';
import { dateOnly, enumLabel, num } from '../format.js';
import { href, navigate, setParams, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { useApi } from '../use-api.js';

/** The suppression rules page. */
export function SuppressionRulesPage(): ReactNode {
  const { params } = useLocation();
  const creating = params.get('new') === '1';
  const editId = params.get('edit') ?? undefined;
  const rules = useApi(listRules, 'rules', { live: true });
  const editing = editId ? rules.data?.find((r) => r.id === editId) : undefined;
  const { ctx, principal } = useSession();
  const [error, setError] = useState<Error>();

  const columns = useMemo<ColumnDef<SuppressionRule, unknown>[]>(
    () => [
      {
        id: 'name',
        header: 'Rule',
        cell: ({ row }) => (
          <div>
            <b>{row.original.name}</b>
            <div className="muted small">{row.original.reason}</div>
            <div className="muted small">{describeFilter(new URLSearchParams(paramsFromCriteria(row.original.criteria)))}</div>
          </div>
        ),
      },
      { id: 'justification', header: 'Justification', cell: ({ row }) => (row.original.justification ? enumLabel(row.original.justification) : <span className="muted">—</span>) },
      {
        id: 'filter',
        header: 'Matches',
        cell: ({ row }) => <RuleMatches rule={row.original} />,
      },
      { id: 'account', header: 'Scope', cell: ({ row }) => (row.original.accountId ? <span className="mono">{row.original.accountId}</span> : 'Organization') },
      {
        id: 'expiresAt',
        header: 'Expires',
        cell: ({ row }) => {
          const e = row.original.expiresAt;
          if (!e) return <span className="muted">Never</span>;
          const past = new Date(e).getTime() < Date.now();
          return <span className={past ? 'stale' : undefined}>{past ? `Expired ${dateOnly(e)}` : dateOnly(e)}</span>;
        },
      },
      { id: 'createdAt', header: 'Created', cell: ({ row }) => dateOnly(row.original.createdAt) },
      {
        id: 'actions',
        header: '',
        enableSorting: false,
        cell: ({ row }) =>
          principal.role === 'admin' && (row.original.accountId || principal.delegatedAdmin) ? (
            <span className="row-actions">
            <Link
              className="button small"
              href={href('/suppression-rules', { ...paramsFromCriteria(row.original.criteria), edit: row.original.id })}
              data-testid={`edit-rule-${row.original.id}`}
            >
              Edit
            </Link>
            <button
              type="button"
              className="danger small"
              onClick={() => {
                if (!window.confirm('Delete this rule? Its findings return to ACTIVE.')) return;
                deleteRule(ctx, row.original.id).then(() => rules.reload(), setError);
              }}
            >
              Delete
            </button>
            </span>
          ) : null,
      },
    ],
    [ctx, principal.role, rules.reload],
  );

  return (
    <div className="page rules">
      <PageHeader
        title="Suppression rules"
        subtitle="Rules hide findings you have judged, present and future; deleting or expiring a rule restores them."
        actions={
          !creating && principal.role === 'admin' ? (
            <Link className="button primary" href={href('/suppression-rules', { new: '1', status: 'ACTIVE' })}>
              New rule
            </Link>
          ) : null
        }
      />
      {creating ? <RuleForm params={params} onDone={rules.reload} /> : null}
      {editing ? <RuleForm key={editing.id} params={params} rule={editing} onDone={rules.reload} /> : null}
      {editId && rules.data && !editing ? <div className="notice error" role="alert">No rule {editId} is visible to this key.</div> : null}
      <ErrorNotice error={error ?? rules.error} />
      <Card title={`Rules${rules.data ? ` (${rules.data.length})` : ''}`} id="rule-list">
        <DataTable
          label="Suppression rules"
          data={rules.data ?? []}
          columns={columns}
          rowId={(r) => r.id}
          rowClass={(r) => (r.stale ? 'row-stale' : undefined)}
          empty={rules.loading ? 'Loading…' : 'No rules yet. Filter the findings explorer and choose “Suppress these…”.'}
        />
      </Card>
    </div>
  );
}

/**
 * The rule form: a new rule from the explorer's filter, or an edit of `rule` (its filter is
 * put in the URL by the Edit link, so the filter bar edits it like any filter).
 */
function RuleForm(props: { params: URLSearchParams; rule?: SuppressionRule; onDone(): void }): ReactNode {
  const { params, rule } = props;
  const { ctx, principal, account } = useSession();
  const criteria = useMemo(() => {
    // A rule suppresses findings whatever their status; the explorer's status filter only chose what to look at.
    const c = criteriaFromParams(params);
    delete c.status;
    return c;
  }, [params]);
  const criteriaKey = JSON.stringify(criteria);
  const empty = Object.keys(criteria).length === 0;
  const ruleFilterText = useMemo(() => {
    const p = new URLSearchParams(params);
    p.delete('status');
    return describeFilter(p);
  }, [params]);
  // A rule applies to the current account unless the delegated administrator explicitly
  // chooses (and confirms) the whole organization.
  const [scope, setScope] = useState<RuleScope['scope']>('ACCOUNT');
  const [orgConfirmed, setOrgConfirmed] = useState(false);
  const [ruleAccount, setRuleAccount] = useState<string>(account ?? principal.accountId);
  const accounts = useApi((c) => listAccounts({ ...c, account: undefined }), 'accounts', { enabled: principal.delegatedAdmin && !rule });
  const where: RuleScope = rule ? (rule.accountId ? { scope: 'ACCOUNT', accountId: rule.accountId } : { scope: 'ORGANIZATION' }) : scope === 'ORGANIZATION' ? { scope } : { scope, accountId: ruleAccount || undefined };
  const whereKey = JSON.stringify(where);
  const preview = useApi((c) => previewRule(c, JSON.parse(criteriaKey), JSON.parse(whereKey)), `${criteriaKey}|${whereKey}`, { enabled: !empty, live: true });
  const worst = useApi(
    (c) =>
      searchFindings(
        { ...c, account: where.accountId ?? c.account },
        { filterCriteria: { ...JSON.parse(criteriaKey), status: [{ comparison: 'EQUALS', value: 'ACTIVE' }] }, sort: { field: 'SCORE', order: 'DESC' }, maxResults: 10 },
      ),
    `worst|${criteriaKey}|${whereKey}`,
    { enabled: !empty, live: true },
  );
  const [name, setName] = useState(rule?.name ?? '');
  const [reason, setReason] = useState(rule?.reason ?? '');
  const [justification, setJustification] = useState<string>(rule?.justification ?? '');
  const [expires, setExpires] = useState(rule?.expiresAt ? rule.expiresAt.slice(0, 10) : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const expiresAt = expires ? new Date(`${expires}T23:59:59Z`).toISOString() : undefined;
      if (rule) {
        await updateRule(ctx, rule.id, {
          name: name.trim() || rule.name,
          filterCriteria: criteria,
          reason: reason.trim(),
          justification: justification || null,
          expiresAt: expiresAt ?? null,
        });
        props.onDone();
        setParams(Object.fromEntries([...params.keys()].map((k) => [k, undefined])));
        return;
      }
      await createRule(ctx, {
        ...where,
        name: name.trim() || ruleFilterText.slice(0, 200) || 'Suppression rule',
        filterCriteria: criteria,
        reason: reason.trim(),
        justification: justification || undefined,
        expiresAt,
      });
      props.onDone();
      navigate('/findings', { ...filterParams(params), status: 'SUPPRESSED' });
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card
      title={rule ? `Edit rule “${rule.name ?? rule.id}”` : 'New suppression rule'}
      id={rule ? 'edit-rule' : 'new-rule'}
      actions={
        <button type="button" className="link" onClick={() => setParams(rule ? Object.fromEntries([...params.keys()].map((k) => [k, undefined])) : { new: undefined })}>
          Cancel
        </button>
      }
    >
      <p className="muted">
        {rule
          ? 'Change the filter here and the preview follows. Saving releases the findings the rule holds and applies it again as edited.'
          : "The rule's filter is the explorer's filter; change it here and the preview follows. Status is not part of a rule: it is what the rule sets."}
      </p>
      <FilterBar params={params} />
      <div className="rule-grid">
        <form className="rule-form" onSubmit={(e) => void submit(e)} aria-label={rule ? 'Edit suppression rule' : 'New suppression rule'}>
          <label htmlFor="r-name">Name</label>
          <input id="r-name" value={name} onChange={(e) => setName(e.target.value)} placeholder={ruleFilterText || 'e.g. Test images'} maxLength={200} />
          <label htmlFor="r-reason">Reason (required)</label>
          <textarea id="r-reason" value={reason} onChange={(e) => setReason(e.target.value)} required rows={3} placeholder="Why these findings do not need action" />
          <label htmlFor="r-just">Justification</label>
          <select id="r-just" value={justification} onChange={(e) => setJustification(e.target.value)}>
            <option value="">None</option>
            {JUSTIFICATIONS.map((j) => (
              <option key={j} value={j}>
                {enumLabel(j)}
              </option>
            ))}
          </select>
          <label htmlFor="r-exp">Expires</label>
          <input id="r-exp" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
          {rule ? (
            <p className="muted small" data-testid="rule-scope">
              Applies to {rule.accountId ? <>account <span className="mono">{rule.accountId}</span></> : 'every account (organization-wide)'}. To move a rule, delete it and create it again.
            </p>
          ) : principal.delegatedAdmin ? (
            <>
              <label htmlFor="r-scope">Applies to</label>
              <select
                id="r-scope"
                value={scope}
                onChange={(e) => {
                  setScope(e.target.value as RuleScope['scope']);
                  setOrgConfirmed(false);
                }}
              >
                <option value="ACCOUNT">One account</option>
                <option value="ORGANIZATION">Every account (organization-wide)</option>
              </select>
              {scope === 'ACCOUNT' ? (
                <>
                  <label htmlFor="r-acct">Account</label>
                  <select id="r-acct" value={ruleAccount} onChange={(e) => setRuleAccount(e.target.value)}>
                    {[...new Set([ruleAccount, ...(accounts.data ?? []).map((a) => a.id)])].map((id) => {
                      const a = accounts.data?.find((x) => x.id === id);
                      return (
                        <option key={id} value={id}>
                          {a && a.name !== a.id ? `${a.name} (${a.id})` : id}
                        </option>
                      );
                    })}
                  </select>
                </>
              ) : (
                <label className="confirm">
                  <input type="checkbox" checked={orgConfirmed} onChange={(e) => setOrgConfirmed(e.target.checked)} data-testid="confirm-org" /> Suppress matching findings in every account, present and future
                </label>
              )}
            </>
          ) : null}
          <ErrorNotice error={error} what={rule ? 'Could not save the rule' : 'Could not create the rule'} />
          <button
            type="submit"
            className="primary"
            disabled={busy || empty || !reason.trim() || principal.role !== 'admin' || (!rule && scope === 'ORGANIZATION' && !orgConfirmed)}
            data-testid={rule ? 'save-rule' : 'create-rule'}
          >
            {rule ? (busy ? 'Saving…' : 'Save rule') : busy ? 'Creating…' : `Suppress ${preview.data ? num(preview.data.count) : ''} findings`}
          </button>
          {principal.role !== 'admin' ? <p className="muted small">Only admins create rules.</p> : null}
          {empty ? <p className="muted small">Set at least one filter: a rule without one would suppress everything.</p> : null}
        </form>
        <div className="rule-preview" aria-live="polite">
          <h3>
            Preview: <span data-testid="preview-count">{empty ? '—' : preview.data ? num(preview.data.count) : '…'}</span> {rule ? 'more ' : ''}active findings would be suppressed
          </h3>
          <ErrorNotice error={preview.error} what="Preview" />
          {!empty && worst.data?.findings.length ? <p className="muted small">The worst of them:</p> : null}
          <ul className="preview-list">
            {(empty ? [] : (worst.data?.findings ?? [])).map((f) => (
              <li key={f.findingId}>
                <SeverityBadge severity={f.severity} score={f.score} /> <span className="mono">{f.vulnerabilityId}</span> <span className="mono muted">{f.package?.name ?? f.listeners?.map((l) => l.process ?? l.port).join(', ')}</span>{' '}
                <span className="muted small">{f.resource.name}</span>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </Card>
  );
}

/** How many findings a rule holds suppressed now (findings matching its filter, in SUPPRESSED). */
function RuleMatches(props: { rule: SuppressionRule }): ReactNode {
  const { rule } = props;
  const criteriaKey = JSON.stringify(rule.criteria);
  const n = useApi(
    (c) => countFindings({ ...c, account: rule.accountId ?? c.account }, { ...JSON.parse(criteriaKey), status: [{ comparison: 'EQUALS', value: 'SUPPRESSED' }] }),
    `${rule.id}|${criteriaKey}`,
    { live: true },
  );
  const to = href('/findings', { ...paramsFromCriteria(rule.criteria), ...(rule.accountId ? { account: rule.accountId } : {}), status: 'SUPPRESSED' });
  if (rule.state === 'EXPIRED') return <span className="stale">Expired</span>;
  if (rule.stale) return <Link href={to} className="stale">Stale: matches no open finding</Link>;
  return <Link href={to}>{n.data === undefined ? '…' : `${num(n.data)} suppressed`}</Link>;
}
