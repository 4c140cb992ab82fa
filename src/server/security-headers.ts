/**
 * Security headers on every answer: the dashboard may load only its own scripts, styles,
 * images and API (Observable Plot writes a `<style>` element into each chart, hence inline
 * styles; no inline scripts), no page may frame it, browsers must not sniff types, and no
 * URL leaks to other sites in a Referer. API answers are data, never documents: they may
 * load nothing.
 */
import type { FastifyInstance } from 'fastify';

/** The dashboard's Content-Security-Policy (its pages and files). */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The Content-Security-Policy of the API, /healthz and /metrics (JSON, CSV, text). */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Adds the headers to every answer of the app. */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    // Chosen by path, not by content type: a 304 for the dashboard's page has none, and a
    // browser merges the 304's headers into the page it has cached.
    const path = req.url.split('?')[0];
    const api = path.startsWith('/api/') || path === '/healthz' || path === '/metrics';
    reply.header('content-security-policy', api ? API_CSP : DASHBOARD_CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    return payload;
  });
}
