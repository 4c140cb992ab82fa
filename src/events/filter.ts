import { compileGlob } from '../glob.js';
import type { Severity } from '../matching/types.js';
import { severityRank, type Subscription } from './types.js';

/** True when the event type matches one of the glob patterns (`*` matches any run of characters). */
export function typeMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => compileGlob(p, { paths: false }).matches(type));
}

/** What filters look at in an event. */
export interface FilterableEvent {
  type: string;
  accountId: string;
  severity?: Severity | null;
  resourceTags?: Record<string, string>;
}

/** True when the subscription should receive the event. */
export function subscriptionMatches(sub: Pick<Subscription, 'accountId' | 'crossAccount' | 'eventTypes' | 'filters' | 'enabled'>, ev: FilterableEvent): boolean {
  if (!sub.enabled) return false;
  if (!sub.crossAccount && ev.accountId !== sub.accountId) return false;
  if (!typeMatches(sub.eventTypes, ev.type)) return false;
  const f = sub.filters;
  if (f.accounts && f.accounts.length > 0 && !f.accounts.includes(ev.accountId)) return false;
  if (f.minSeverity && ev.severity && severityRank[ev.severity] < severityRank[f.minSeverity]) return false;
  if (f.resourceTags) {
    const tags = ev.resourceTags ?? {};
    for (const [k, v] of Object.entries(f.resourceTags)) if (tags[k] !== v) return false;
  }
  return true;
}
