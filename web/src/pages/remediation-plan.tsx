/**
 * The remediation plan of one resource: what to upgrade first, with the command to run and
 * the findings each upgrade closes, then what no upgrade fixes yet and why. Self-contained
 * (it loads its own data) so the resource page can mount it as a tab; also routed on its own
 * at /resources/{id}/remediation.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { CopyLine } from '../components/copy-line.js';
import { Empty, ErrorNotice, Link, Loading, SeverityBadge } from '../components/ui.js';
import { getRemediationPlan, type PlanFindingRef, type RemediationAction, type ResourcePlan, type UnfixableEntry } from '../remediation.js';
import { href } from '../router.js';
import { useApi } from '../use-api.js';

const REASON_LABEL: Record<UnfixableEntry['reason'], string> = {
  NO_FIX_PUBLISHED: 'No fix published',
  FIX_IN_NEWER_RELEASE: 'Fix only in a newer release',
  FIX_VERSION_UNKNOWN: 'Fix version unknown',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The plan of resource `resourceId`, live: it follows new scans and suppressions. */
export function RemediationPlan(props: { resourceId: string }): ReactNode {
  const plan = useApi((ctx) => getRemediationPlan(ctx, props.resourceId), `remediation:${props.resourceId}`, { live: true });
  if (plan.error) return <ErrorNotice error={plan.error} what="Remediation plan" />;
  if (!plan.data) return <Loading label="Planning…" />;
  return <Plan plan={plan.data} />;
}

/** The page at /resources/{id}/remediation: the plan under a title naming the resource. */
export function RemediationPlanPage(props: { resourceId: string }): ReactNode {
  return (
    <div className="page remediation-page">
      <p className="small">
        <Link href={href('/findings', { resource: props.resourceId, status: 'ACTIVE' })}>← Findings of this resource</Link>
      </p>
      <RemediationPlan resourceId={props.resourceId} />
    </div>
  );
}

function Plan(props: { plan: ResourcePlan }): ReactNode {
  const { plan } = props;
  const { totals } = plan;
  return (
    <section className="remediation-plan" aria-labelledby="plan-h" data-testid="remediation-plan">
      <header className="plan-h">
        <h1 id="plan-h">Remediation plan</h1>
        <p className="plan-target mono clip" title={plan.target.name}>
          {plan.target.name}
        </p>
        <p className="plan-totals" data-testid="plan-totals">
          {plural(plan.actions.length, 'upgrade')} close {totals.fixable} of {plural(totals.findings, 'active finding')} (risk {totals.riskRemovable.toFixed(1)} of{' '}
          {totals.risk.toFixed(1)}){totals.unfixable ? `; ${totals.unfixable} cannot be fixed by an upgrade yet` : ''}.
        </p>
      </header>
      {plan.baseImage ? <BaseImage advice={plan.baseImage} /> : null}
      {plan.actions.length === 0 ? (
        <Empty>{totals.findings === 0 ? 'No active findings: nothing to remediate.' : 'No upgrade fixes any active finding yet.'}</Empty>
      ) : (
        <ol className="plan-actions" aria-label="Upgrades, highest risk removed first">
          {plan.actions.map((a, i) => (
            <Action key={`${a.ecosystem}:${a.package}`} action={a} rank={i + 1} />
          ))}
        </ol>
      )}
      {plan.unfixable.length > 0 ? (
        <section aria-labelledby="unfixable-h" className="plan-unfixable">
          <h2 id="unfixable-h">Cannot be fixed by an upgrade yet ({totals.unfixable})</h2>
          <ul>
            {plan.unfixable.map((u) => (
              <li key={`${u.ecosystem}:${u.package}:${u.reason}:${u.newerRelease?.ecosystem ?? ''}`} data-testid="unfixable">
                <div className="plan-row">
                  <span className="mono strong">{u.package}</span>
                  <span className="reason">{REASON_LABEL[u.reason]}</span>
                  <span className="muted small">
                    {plural(u.findings.length, 'finding')} · risk {u.riskRemaining.toFixed(1)}
                  </span>
                </div>
                <p className="muted small">{u.detail}</p>
                <FindingList findings={u.findings} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </section>
  );
}

function BaseImage(props: { advice: NonNullable<ResourcePlan['baseImage']> }): ReactNode {
  const { advice } = props;
  return (
    <div className="notice plan-base" data-testid="base-image-advice">
      <strong>Base image</strong> {advice.base.name ?? advice.base.digest ?? 'known by its layers'}: {plural(advice.baseFindings, 'active finding')} came with it.
      {advice.recommendation ? (
        <p className="strong" data-testid="base-recommendation">
          {advice.recommendation.summary}
        </p>
      ) : (
        <p className="muted small">No stored image of the base repository clears more of them.</p>
      )}
    </div>
  );
}

function Action(props: { action: RemediationAction; rank: number }): ReactNode {
  const a = props.action;
  const moving = a.packages.length > 1 || a.packages[0] !== a.package;
  return (
    <li className="plan-action" data-testid="plan-action">
      <div className="plan-row">
        <span className="rank" aria-label={`Step ${props.rank}`}>
          {props.rank}
        </span>
        <span className="mono strong">{a.package}</span>
        <span className="mono small versions">
          {a.installedVersions.join(', ')} → {a.targetVersion}
        </span>
        <SeverityBadge severity={a.severity} />
        {a.kevCount ? <span className="kev">{a.kevCount} known exploited</span> : null}
        {a.origin === 'BASE_IMAGE' ? <span className="tag">base image</span> : null}
        <span className="muted small">
          closes {plural(a.findings.length, 'finding')} · risk {a.riskRemoved.toFixed(1)}
        </span>
      </div>
      {moving ? <p className="muted small">Moves together: {a.packages.join(', ')}</p> : null}
      {a.command ? <CopyLine text={a.command} label={`Copy the command for ${a.package}`} /> : <p className="small">{a.summary}</p>}
      {a.hint ? <p className="muted small">{a.hint}</p> : null}
      <FindingList findings={a.findings} />
    </li>
  );
}

/** The findings behind an entry, folded: a long list would bury the next action. */
function FindingList(props: { findings: PlanFindingRef[] }): ReactNode {
  const [open, setOpen] = useState(false);
  return (
    <details className="plan-findings" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>{plural(props.findings.length, 'finding')}</summary>
      {open ? (
        <ul>
          {props.findings.map((f, i) => (
            <li key={`${f.findingId ?? f.vulnerabilityId}:${i}`}>
              {f.findingId ? <Link href={href('/findings', { finding: f.findingId })}>{f.vulnerabilityId}</Link> : <span className="mono">{f.vulnerabilityId}</span>}{' '}
              <span className="mono small">{f.package}</span> <span className="muted small">{f.score.toFixed(1)}</span>
              {f.kev ? <span className="kev small"> KEV</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </details>
  );
}
