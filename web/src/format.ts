/** Small display helpers shared by the pages. */
import type { Severity } from './api.js';

/** Title-case label of a severity. */
export function severityLabel(s: string): string {
  return s === 'INFORMATIONAL' ? 'Info' : s.charAt(0) + s.slice(1).toLowerCase();
}

/** CSS variable holding a severity's colour. */
export function severityColor(s: Severity | string): string {
  return `var(--sev-${s.toLowerCase()})`;
}

/** A timestamp as a short local date and time. */
export function dateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** A timestamp as a short date. */
export function dateOnly(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString('en-GB', { year: 'numeric', month: 'short', day: '2-digit' });
}

/** How long ago, roughly ("3 h ago"). */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(s)) return iso;
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A count with thousands separators. */
export function num(n: number | undefined | null): string {
  return n === undefined || n === null ? '—' : n.toLocaleString('en-US');
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact' });

/** A count in few characters for chart axes: 950, 12K, 1.2M. */
export function compactNum(n: number): string {
  return COMPACT.format(n);
}

/** A money amount. */
export function money(n: number | undefined, currency = 'USD'): string {
  if (n === undefined) return '—';
  return n.toLocaleString('en-US', { style: 'currency', currency });
}

/** EPSS probability as a percentage. */
export function pct(n: number | undefined, digits = 1): string {
  return n === undefined ? '—' : `${(n * 100).toFixed(digits)} %`;
}

/** Human label of an enum constant (`CONTAINER_IMAGE` → `Container image`). */
export function enumLabel(s: string): string {
  const t = s.replace(/_/g, ' ').toLowerCase().replace(/\bos\b/, 'OS');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/**
 * A resource name short enough for a table cell: the registry host is dropped and a digest
 * shortened (`registry.local/team/app@sha256:0123456789abcdef…` → `team/app@0123456789ab`).
 */
export function shortName(name: string): string {
  let n = name;
  const first = n.indexOf('/');
  if (first > 0 && /[.:]|^localhost$/.test(n.slice(0, first)) && n.indexOf('/', first + 1) > 0) n = n.slice(first + 1);
  const at = n.indexOf('@sha256:');
  if (at >= 0) n = `${n.slice(0, at)}@${n.slice(at + 8, at + 20)}`;
  // Paths (archives, project folders): the end says more than the start.
  if (n.length > 36 && n.includes('/')) n = `…/${n.split('/').filter(Boolean).slice(-2).join('/')}`;
  return n;
}
