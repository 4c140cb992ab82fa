/** Small shared building blocks: links, badges, cards, notices. */
import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react';
import type { Severity, SeverityCounts } from '../api.js';
import { SEVERITIES } from '../api.js';
import { navigate } from '../router.js';
import { num, severityLabel } from '../format.js';

/** An in-app link: a real `<a href>` (so it can be opened in a new tab) that navigates without reloading. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }): ReactNode {
  const { href, onClick, ...rest } = props;
  function go(e: MouseEvent<HTMLAnchorElement>): void {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const u = new URL(href, window.location.origin);
    navigate(u.pathname, u.searchParams);
  }
  return <a href={href} onClick={go} {...rest} />;
}

/** A severity as a coloured pill. */
export function SeverityBadge(props: { severity: Severity | string; score?: number }): ReactNode {
  const s = props.severity.toLowerCase();
  return (
    <span className={`sev sev-${s}`}>
      {severityLabel(props.severity)}
      {props.score !== undefined ? <b>{props.score.toFixed(1)}</b> : null}
    </span>
  );
}

/** Per-severity counts as small coloured numbers, zeros faded. */
export function SeverityCountsCells(props: { counts: SeverityCounts; only?: readonly Severity[] }): ReactNode {
  const list = props.only ?? SEVERITIES.slice(0, 4);
  return (
    <span className="sev-counts">
      {list.map((s) => {
        const n = props.counts[s] ?? 0;
        return (
          <span key={s} className={`sev-count sev-fg-${s.toLowerCase()}${n === 0 ? ' zero' : ''}`} title={`${severityLabel(s)}: ${num(n)}`}>
            {num(n)}
          </span>
        );
      })}
    </span>
  );
}

/** A proportional bar of severity counts. */
export function SeverityBar(props: { counts: SeverityCounts; label?: string }): ReactNode {
  const total = SEVERITIES.reduce((a, s) => a + (props.counts[s] ?? 0), 0);
  // Nothing to show: no empty track either, which reads as a full bar at a glance.
  if (total === 0) return <span className="sev-bar-none muted small">—</span>;
  return (
    <div className="sev-bar" role="img" aria-label={props.label ?? SEVERITIES.map((s) => `${severityLabel(s)} ${props.counts[s] ?? 0}`).join(', ')}>
      {total === 0
        ? null
        : SEVERITIES.map((s) => {
            const n = props.counts[s] ?? 0;
            return n ? <span key={s} className={`sev-bg-${s.toLowerCase()}`} style={{ flexGrow: n }} /> : null;
          })}
    </div>
  );
}

/** A titled panel. */
export function Card(props: { title: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; id?: string }): ReactNode {
  return (
    <section className={`card ${props.className ?? ''}`} aria-labelledby={props.id ? `${props.id}-h` : undefined} id={props.id}>
      <header className="card-h">
        <h2 id={props.id ? `${props.id}-h` : undefined}>{props.title}</h2>
        {props.actions ? <div className="card-actions">{props.actions}</div> : null}
      </header>
      <div className="card-b">{props.children}</div>
    </section>
  );
}

/** An error from the API, readable. */
export function ErrorNotice(props: { error: Error | undefined; what?: string }): ReactNode {
  if (!props.error) return null;
  return (
    <div className="notice error" role="alert">
      {props.what ? <strong>{props.what}: </strong> : null}
      {props.error.message}
    </div>
  );
}

/** A placeholder row while loading. */
export function Loading(props: { label?: string }): ReactNode {
  return (
    <div className="loading" role="status">
      {props.label ?? 'Loading…'}
    </div>
  );
}

/** Shown where a list is empty. */
export function Empty(props: { children: ReactNode }): ReactNode {
  return <div className="empty">{props.children}</div>;
}

/** The page title row. */
export function PageHeader(props: { title: string; subtitle?: ReactNode; actions?: ReactNode }): ReactNode {
  return (
    <div className="page-h">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle ? <p className="muted">{props.subtitle}</p> : null}
      </div>
      {props.actions ? <div className="page-actions">{props.actions}</div> : null}
    </div>
  );
}

/**
 * Previous/next paging over the server's opaque cursors. `history` holds the cursors of the
 * pages already passed, so "previous" goes back without the server keeping state.
 */
export function CursorPager(props: { history: { current: (string | undefined)[] }; cursor: string | undefined; nextToken: string | undefined; onCursor: (cursor: string | undefined) => void }): ReactNode {
  const pageNo = props.history.current.length + 1;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={pageNo === 1} onClick={() => props.onCursor(props.history.current.pop())}>
        ← Previous
      </button>
      <span className="muted">Page {pageNo}</span>
      <button
        type="button"
        disabled={!props.nextToken}
        onClick={() => {
          props.history.current.push(props.cursor);
          props.onCursor(props.nextToken);
        }}
      >
        Next →
      </button>
    </nav>
  );
}
