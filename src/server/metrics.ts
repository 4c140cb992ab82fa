/**
 * Prometheus metrics of one server: request counts and latencies per route, scans, and
 * the process defaults. Each app has its own registry so several can run in one process.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's metrics. */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  scans: Counter<'trigger' | 'status'>;
  findingsChanged: Counter<'change'>;
}

/** Creates the registry and metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  return {
    registry,
    requests: new Counter({ name: 'vigil_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    latency: new Histogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    scans: new Counter({ name: 'vigil_scans_total', help: 'Scans recorded, by trigger and outcome', labelNames: ['trigger', 'status'], registers: [registry] }),
    findingsChanged: new Counter({ name: 'vigil_findings_changes_total', help: 'Finding lifecycle changes from scans', labelNames: ['change'], registers: [registry] }),
  };
}
