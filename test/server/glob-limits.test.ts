/**
 * Glob patterns enter through the API (subscription event types, the SSE `types` query,
 * registry repository patterns): each is capped in length with a clear 400, and a stored
 * pattern full of stars is matched in linear time when events and pushes arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GLOB_LENGTH } from '../../src/glob.js';
import { dialectCases } from '../helpers/postgres.js';
import { startTestApp, type TestApp } from './harness.js';

const sqlite = dialectCases().filter((d) => d.name === 'sqlite');

describe.each(sqlite)('glob pattern limits on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  const long = `vigil.${'*a'.repeat(MAX_GLOB_LENGTH)}`;

  it('refuses a subscription event-type pattern longer than the limit', async () => {
    const res = await t.call(t.keys.acme.admin, { method: 'POST', url: '/api/v1/subscriptions', payload: { url: 'https://hooks.example/x', eventTypes: [long] } });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain(`an event type pattern has at most ${MAX_GLOB_LENGTH} characters`);
  });

  it('refuses an SSE types pattern longer than the limit, and more patterns than a subscription may have', async () => {
    const tooLong = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/events/stream?types=vigil.scan.*,${'*'.repeat(MAX_GLOB_LENGTH + 1)}` });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain(`an event type pattern has at most ${MAX_GLOB_LENGTH} characters`);
    const tooMany = await t.call(t.keys.acme.viewer, { method: 'GET', url: `/api/v1/events/stream?types=${Array.from({ length: 33 }, () => '*').join(',')}` });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.body).toContain('at most 32 event type patterns');
  });

  it('refuses a repository pattern longer than the limit', async () => {
    const res = await t.call(t.keys.acme.admin, {
      method: 'POST',
      url: '/api/v1/registries',
      payload: { url: 'https://registry.example', repositories: { include: [`apps/${'*'.repeat(MAX_GLOB_LENGTH)}`] } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain(`a repository pattern has at most ${MAX_GLOB_LENGTH} characters`);
  });
});
