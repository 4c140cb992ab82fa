/**
 * Security headers on every answer: the dashboard may load only its own scripts, styles,
 * images and API (Observable Plot writes a `<style>` element into each chart, hence inline
 * styles; no inline scripts), no page may frame it, browsers must not sniff types, and no
 * URL leaks to other sites in a Referer. API answers are data, never documents: they may
 * load nothing.
 */
import type { FastifyInstance } from 'fastify';

/** The dashboard's Content-Security-Policy (HTML answers). */
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

/** The Content-Security-Policy of every other answer (JSON, CSV, metrics). */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Adds the headers to every answer of the app. */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    reply.header('content-security-policy', type.startsWith('text/html') ? DASHBOARD_CSP : API_CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    return payload;
  });
}
