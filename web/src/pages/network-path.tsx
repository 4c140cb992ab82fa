/**
 * A NETWORK_REACHABILITY finding in the dashboard: the detail panel draws the path a packet
 * from the internet takes to the open port (gateway, route table, ACL, groups, host
 * firewall, interface), then what listens there and why it rates as it does; the findings
 * table shows the listening processes where a package finding shows its package.
 */
import type { ReactNode } from 'react';
import type { StoredFinding } from '../api.js';
import { Link, SeverityBadge } from '../components/ui.js';
import { dateTime, enumLabel } from '../format.js';
import { href } from '../router.js';

function ports(r: { begin: number; end: number }): string {
  return r.begin === r.end ? String(r.begin) : `${r.begin}-${r.end}`;
}

/** `AWS::EC2::SecurityGroup` → `Security group`: the component's kind, for people. */
export function componentKind(componentType: string): string {
  const last = componentType.split('::').pop() ?? componentType;
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The processes listening on a network finding's range, for the findings table. */
export function ListeningCell(props: { f: StoredFinding }): ReactNode {
  const { f } = props;
  const names = [...new Set((f.listeners ?? []).map((l) => l.process ?? `port ${l.port}`))].join(', ');
  const r = f.networkReachabilityDetails;
  return (
    <div className="pkg-cell">
      <div className="mono clip" title={names}>
        {names || '—'}
      </div>
      <div className="muted mono small clip">{r ? `${ports(r.openPortRange)}/${r.protocol} · open port` : 'open port'}</div>
    </div>
  );
}

/** The detail panel's content for a network finding. */
export function NetworkDetail(props: { f: StoredFinding }): ReactNode {
  const { f } = props;
  const r = f.networkReachabilityDetails;
  const steps = r?.networkPath.steps ?? [];
  const publicPorts = f.publicPortRange ? ports(f.publicPortRange) : r ? ports(r.openPortRange) : '';
  return (
    <div className="detail">
      <header>
        <div className="detail-id mono">{f.vulnerabilityId}</div>
        <h2 id="panel-h">{f.title}</h2>
        <div className="detail-badges">
          <SeverityBadge severity={f.severity} />
          <span className={`status status-${f.status.toLowerCase()}`}>{enumLabel(f.status)}</span>
          <span className="muted small">{enumLabel(f.type)}</span>
        </div>
      </header>
      {f.description ? <p className="desc">{f.description}</p> : null}

      <section aria-labelledby="s-path">
        <h3 id="s-path">How the internet reaches it</h3>
        <ol className="net-path" data-testid="network-path">
          <li className="net-step net-internet">
            <span className="net-kind">Internet</span>
            <span className="mono small">{(f.publicAddresses ?? []).map((a) => `${a.includes(':') ? `[${a}]` : a}:${publicPorts}`).join(' ') || 'any address'}</span>
          </li>
          {steps.map((s, i) => (
            <li key={`${s.componentId}-${i}`} className="net-step" title={s.componentType}>
              <span className="net-kind">{componentKind(s.componentType)}</span>
              <span className="mono small clip">{s.componentId}</span>
            </li>
          ))}
          {r ? (
            <li className="net-step net-port">
              <span className="net-kind">Port</span>
              <span className="mono small">
                {ports(r.openPortRange)}/{r.protocol}
              </span>
            </li>
          ) : null}
        </ol>
      </section>

      <section aria-labelledby="s-listen">
        <h3 id="s-listen">What listens there</h3>
        <dl className="kv">
          {(f.listeners ?? []).map((l) => (
            <ListenerRow key={`${l.protocol}-${l.port}-${l.address}-${l.pid ?? ''}`} l={l} />
          ))}
          <dt>Rated by</dt>
          <dd data-testid="port-rating">
            {f.services?.length
              ? f.services.map((s) => `${s.service} (${s.category.replace(/-/g, ' ')}): ${enumLabel(s.severity)}`).join('; ')
              : 'No recognised service in the range: an unknown open port rates Medium'}
          </dd>
        </dl>
      </section>

      <section aria-labelledby="s-where">
        <h3 id="s-where">Where</h3>
        <dl className="kv">
          <dt>Resource</dt>
          <dd>
            <Link href={href('/findings', { resource: f.resource.id, status: 'ACTIVE' })}>{f.resource.name}</Link> <span className="muted small">{enumLabel(f.resource.type)}</span>
          </dd>
          <dt>Account</dt>
          <dd className="mono">{f.accountId}</dd>
        </dl>
      </section>

      <section aria-labelledby="s-time">
        <h3 id="s-time">Timeline</h3>
        <ol className="timeline" data-testid="timeline">
          {(f.timeline ?? []).map((t, i) => (
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

function ListenerRow(props: { l: NonNullable<StoredFinding['listeners']>[number] }): ReactNode {
  const { l } = props;
  return (
    <>
      <dt className="mono">
        {l.port}/{l.protocol}
      </dt>
      <dd>
        <span className="mono">{l.process ?? 'unknown process'}</span>
        {l.pid !== undefined ? <span className="muted small"> pid {l.pid}</span> : null}
        <span className="muted small"> on {l.address}</span>
      </dd>
    </>
  );
}
