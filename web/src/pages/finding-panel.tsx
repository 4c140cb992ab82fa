/**
 * The finding detail panel: what the vulnerability is, why it scores as it does (base CVSS
 * metrics by name, then each contextual adjustment with its reason), how likely and known
 * its exploitation is, how to fix it, where it is, and what happened to it.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { StoredFinding } from '../api.js';
import { getFinding } from '../api.js';
import type { CvssMetric } from '../cvss-metrics.js';
import { ErrorNotice, Link, Loading, SeverityBadge } from '../components/ui.js';
import { dateOnly, dateTime, enumLabel, pct } from '../format.js';
import { CopyLine } from '../components/copy-line.js';
import { remediationLine } from '../remediation.js';
import { href } from '../router.js';
import { useApi } from '../use-api.js';
import { NetworkDetail } from './network-path.js';

/** The side panel for finding `id`. */
export function FindingPanel(props: { id: string; onClose(): void }): ReactNode {
  const f = useApi((ctx) => getFinding(ctx, props.id), props.id, { live: true });
  const ref = useRef<HTMLElement>(null);
  const { onClose } = props;

  useEffect(() => {
    ref.current?.focus();
  }, [props.id]);
  useEffect(() => {
    function onKey(e: KeyboardEvent): void {
      if (e.key === 'Escape') onClose();
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <aside className="panel" aria-labelledby="panel-h" tabIndex={-1} ref={ref} data-testid="finding-panel">
      <div className="panel-top">
        <button type="button" className="close" onClick={props.onClose} aria-label="Close finding details">
          ✕
        </button>
      </div>
      <ErrorNotice error={f.error} what="Finding" />
      {f.data ? isPackageFinding(f.data) ? <Detail f={f.data} /> : <NetworkDetail f={f.data} /> : f.error ? null : <Loading />}
    </aside>
  );
}

/** A package vulnerability: a finding with a package and references (a network finding has neither). */
type PackageFinding = StoredFinding & { package: NonNullable<StoredFinding['package']>; references: string[] };

function isPackageFinding(f: StoredFinding): f is PackageFinding {
  return f.package !== undefined;
}

function Detail(props: { f: PackageFinding }): ReactNode {
  const { f } = props;
  const fix = remediationLine(f);
  return (
    <div className="detail">
      <header>
        <div className="detail-id mono">{f.vulnerabilityId}</div>
        <h2 id="panel-h">{f.title || f.vulnerabilityId}</h2>
        <div className="detail-badges">
          <SeverityBadge severity={f.severity} score={f.score} />
          <span className={`status status-${f.status.toLowerCase()}`}>{enumLabel(f.status)}</span>
          {f.kev ? <span className="kev">Known exploited</span> : null}
          <span className="muted small">fix: {enumLabel(f.fixAvailable)}</span>
        </div>
      </header>
      {f.description ? <p className="desc">{f.description}</p> : null}

      <section aria-labelledby="s-score">
        <h3 id="s-score">Why it scores {f.score.toFixed(1)}</h3>
        <Score f={f} />
      </section>

      <section aria-labelledby="s-threat">
        <h3 id="s-threat">Exploitation</h3>
        <dl className="kv">
          <dt>EPSS</dt>
          <dd data-testid="epss">{f.epss ? `${pct(f.epss.score, 2)} probability of exploitation in 30 days (percentile ${pct(f.epss.percentile, 0)})` : 'No EPSS score'}</dd>
          <dt>CISA KEV</dt>
          <dd data-testid="kev">
            {f.kev ? (
              <>
                Added {dateOnly(f.kev.dateAdded)}
                {f.kev.dueDate ? `, remediation due ${dateOnly(f.kev.dueDate)}` : ''}
                {f.kev.knownRansomwareCampaignUse === 'Known' ? ', used in ransomware campaigns' : ''}
              </>
            ) : (
              'Not in the catalog'
            )}
          </dd>
        </dl>
      </section>

      <section aria-labelledby="s-fix">
        <h3 id="s-fix">Remediation</h3>
        <dl className="kv">
          <dt>Package</dt>
          <dd>
            <span className="mono">{f.package.name}</span> ({f.package.ecosystem})
            {f.package.source && f.package.source.name !== f.package.name ? <span className="muted"> · source {f.package.source.name}</span> : null}
          </dd>
          <dt>Installed</dt>
          <dd className="mono">{f.package.version}</dd>
          <dt>Fixed in</dt>
          <dd className="mono">{f.fixedVersion ?? '—'}</dd>
          {f.origin ? (
            <>
              <dt>Origin</dt>
              <dd data-testid="origin">{f.origin === 'BASE_IMAGE' ? 'Base image (rebuild on a newer base to fix)' : 'Application layers'}</dd>
            </>
          ) : null}
        </dl>
        <p data-testid="remediation">{fix.summary}</p>
        {fix.command ? <CopyLine text={fix.command} /> : null}
        {fix.hint ? <p className="muted small">{fix.hint}</p> : null}
        <p className="small">
          <Link href={`/resources/${encodeURIComponent(f.resource.id)}/remediation`}>Remediation plan of {f.resource.name}</Link>
        </p>
      </section>

      <section aria-labelledby="s-where">
        <h3 id="s-where">Where</h3>
        <dl className="kv">
          <dt>Resource</dt>
          <dd>
            <Link href={href('/findings', { resource: f.resource.id, status: 'ACTIVE' })}>{f.resource.name}</Link> <span className="muted small">{enumLabel(f.resource.type)}</span>
          </dd>
          {f.resource.image?.digest ? (
            <>
              <dt>Image digest</dt>
              <dd className="mono small clip" title={f.resource.image.digest}>
                {f.resource.image.digest}
              </dd>
            </>
          ) : null}
          <dt>Layer</dt>
          <dd className="mono small clip" title={f.package.layer}>
            {f.package.layer ? <Link href={href('/findings', { layer: f.package.layer, status: 'ACTIVE' })}>{f.package.layer}</Link> : '—'}
          </dd>
          {f.package.locations?.length ? (
            <>
              <dt>Files</dt>
              <dd className="mono small">
                {f.package.locations.map((l) => (
                  <div key={l}>{l}</div>
                ))}
              </dd>
            </>
          ) : null}
          <dt>Account</dt>
          <dd className="mono">{f.accountId}</dd>
          {f.package.purl ? (
            <>
              <dt>PURL</dt>
              <dd className="mono small clip" title={f.package.purl}>
                {f.package.purl}
              </dd>
            </>
          ) : null}
        </dl>
      </section>

      <section aria-labelledby="s-ids">
        <h3 id="s-ids">Aliases and references</h3>
        <p className="aliases">
          {f.aliases.length ? (
            f.aliases.map((a) => (
              <span key={a} className="tag mono">
                {a}
              </span>
            ))
          ) : (
            <span className="muted">No aliases</span>
          )}
        </p>
        <ul className="refs">
          {f.references.slice(0, 12).map((r) => (
            <li key={r}>
              <a href={r} target="_blank" rel="noreferrer noopener">
                {r}
              </a>
            </li>
          ))}
          {f.references.length > 12 ? <li className="muted">and {f.references.length - 12} more</li> : null}
        </ul>
      </section>

      <section aria-labelledby="s-time">
        <h3 id="s-time">Timeline</h3>
        <ol className="timeline" data-testid="timeline">
          {(f.timeline?.length ? f.timeline : fallbackTimeline(f)).map((t, i) => (
            <li key={i}>
              <time dateTime={t.at}>{dateTime(t.at)}</time> <span>{t.event}</span>
              {t.detail ? <span className="muted small"> · {t.detail}</span> : null}
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}

function fallbackTimeline(f: StoredFinding): { at: string; event: string; detail?: string }[] {
  const out = [{ at: f.firstObservedAt, event: 'First observed' }, { at: f.lastObservedAt, event: 'Last observed' }];
  if (f.closedAt) out.push({ at: f.closedAt, event: 'Closed' });
  return out;
}

function Score(props: { f: StoredFinding }): ReactNode {
  const { f } = props;
  const [metrics, setMetrics] = useState<{ metrics: CvssMetric[]; error?: string }>();
  const vector = f.cvss?.vector;
  useEffect(() => {
    if (!vector) return;
    let live = true;
    import('../cvss-metrics.js')
      .then(({ cvssMetrics }) => {
        if (live) setMetrics({ metrics: cvssMetrics(vector).metrics });
      })
      .catch((e: unknown) => live && setMetrics({ metrics: [], error: e instanceof Error ? e.message : String(e) }));
    return () => {
      live = false;
    };
  }, [vector]);

  return (
    <div className="score">
      {f.cvss ? (
        <>
          <p>
            Base: CVSS {f.cvss.version} <b>{f.cvss.baseScore.toFixed(1)}</b> from <b>{f.cvss.source}</b>
            {f.scoreSource ? <span className="muted small"> ({f.scoreSource})</span> : null}
          </p>
          {f.scoreReason ? (
            <p className="muted small" data-testid="score-reason">
              {f.scoreReason}
            </p>
          ) : null}
          <p className="mono small vector" data-testid="cvss-vector">
            {f.cvss.vector}
          </p>
          {metrics?.error ? <p className="notice error">Could not read the vector: {metrics.error}</p> : null}
          {metrics?.metrics.length ? (
            <table className="plain metrics" data-testid="cvss-metrics" aria-label="CVSS base metrics">
              <tbody>
                {metrics.metrics.map((m) => (
                  <tr key={m.short} title={m.description}>
                    <th scope="row">
                      {m.name}
                      {m.group && /subsequent/i.test(m.group) ? <span className="muted small"> (subsequent system)</span> : null}
                      <span className="muted small mono"> {m.short}</span>
                    </th>
                    <td>
                      <span className={`metric-val mv-${m.value}`}>{m.valueName}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      ) : (
        <p className="muted" data-testid="score-reason">
          No CVSS vector is published for this vulnerability;{' '}
          {f.vendorSeverity
            ? `the severity comes from ${f.vendorSeverity.source} "${f.vendorSeverity.rating}".`
            : f.scoreSource === 'none'
              ? 'no vendor rated it either, so it is untriaged.'
              : `the severity comes from ${f.scoreSource ?? 'the advisory'}.`}
        </p>
      )}
      <h4>Adjustments in context</h4>
      {f.adjustments.length === 0 ? (
        <p className="muted" data-testid="adjustments">
          None: the base score stands.
        </p>
      ) : (
        <ol className="adjustments" data-testid="adjustments">
          {f.adjustments.map((a, i) => (
            <li key={i}>
              <span className="mono">{a.metric}</span> {String(a.from)} → <b>{String(a.to)}</b>
              <div className="muted">{a.reason}</div>
            </li>
          ))}
        </ol>
      )}
      <p className="final">
        Vigil score <b>{f.score.toFixed(1)}</b> → <SeverityBadge severity={f.severity} />
      </p>
    </div>
  );
}

