/**
 * Network analyses run as jobs: what API tests of them share. {@link startNetworkApp} is the
 * API harness with analyses worked in this process on either dialect (SQLite: the server's
 * own queue; PostgreSQL: a `vigil worker` runtime beside the server, as deployed) and no
 * debounce; {@link analysisOf} waits for the analysis a 202 answer queued.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { startContinuous } from '../../../src/jobs/runtime.js';
import { createScanEngine } from '../../../src/matching/engine.js';
import type { ApiAnalysis } from '../../../src/network/server/analyses.js';
import type { OsvRecord } from '../../../src/vulndb/types.js';
import type { DialectCase } from '../../helpers/postgres.js';
import { tinyAdvisoryDb, writeAdvisoryDb } from '../../helpers/tiny-advisory-db.js';
import { startTestApp, testAdvisories, type TestApp } from '../../server/harness.js';

/**
 * The API harness whose network analyses run: scans and the analyses' re-scoring match
 * `advisories` (the app's engine and a real advisory file the job runtime opens).
 */
export async function startNetworkApp(dialect: DialectCase, advisories: readonly OsvRecord[] = testAdvisories): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-network-app-'));
  const vulndbPath = writeAdvisoryDb(join(dir, 'vulndb.sqlite'), advisories);
  Object.assign(process.env, { VIGIL_DATA_DIR: dir, VIGIL_NETWORK_ANALYSIS_DELAY_MS: process.env.VIGIL_NETWORK_ANALYSIS_DELAY_MS ?? '0', VIGIL_DB_UPDATE_EVERY_MINUTES: '0' });
  const t = await startTestApp(dialect, { engine: createScanEngine(tinyAdvisoryDb(advisories)), config: { vulndbPath } });
  // The server works jobs itself only on SQLite; on PostgreSQL `vigil worker` does.
  const worker = dialect.name === 'postgres' ? await startContinuous({ db: t.db, role: 'worker', vulndbPath, dataDir: dir }) : undefined;
  return {
    ...t,
    async close() {
      await worker?.stop();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads `location` (an analysis) until it is DONE or FAILED, and returns it: for harnesses that call the API their own way. */
export async function waitForAnalysis(read: (location: string) => Promise<ApiAnalysis>, location: string, timeoutMs = 60_000): Promise<ApiAnalysis> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const analysis = await read(location);
    if (analysis.status === 'DONE' || analysis.status === 'FAILED') return analysis;
    if (Date.now() > deadline) throw new Error(`network analysis ${analysis.analysisId} still ${analysis.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for the analysis a 202 answer queued (or the one with this id) to finish, DONE or FAILED, and returns it. */
export async function analysisOf(t: TestApp, key: string, answer: LightMyRequestResponse | string, timeoutMs = 60_000): Promise<ApiAnalysis> {
  let location = `/api/v1/network/analyses/${String(answer)}`;
  if (typeof answer !== 'string') {
    expect(answer.statusCode, answer.body).toBe(202);
    location = (answer.json() as { location: string }).location;
  }
  return waitForAnalysis(async (url) => {
    const res = await t.call(key, { method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as ApiAnalysis;
  }, location, timeoutMs);
}
