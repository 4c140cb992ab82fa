/**
 * A running app for API tests: a fresh database of the dialect, the organization
 * bootstrapped, accounts `acme` and `globex`, one key per account and role, and the real
 * matching engine over a tiny advisory set.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Db } from '../../src/db/connect.js';
import { createScanEngine } from '../../src/matching/engine.js';
import { bootstrapOrganization, createAccount, createKey, type Role } from '../../src/server/accounts.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { advisory, tinyAdvisoryDb } from '../helpers/tiny-advisory-db.js';
import type { DialectCase } from '../helpers/postgres.js';

/** Advisories the tests' inventories hit; each comment says why it is there. */
export const testAdvisories = [
  // lodash 4.17.15 is affected (fixed in 4.17.19): a finding for the npm inventories.
  advisory('GHSA-p6mc-m468-83gw', 'npm', 'lodash', [[{ introduced: '0' }, { fixed: '4.17.19' }]], { aliases: ['CVE-2020-8203'], summary: 'Prototype pollution in lodash' }),
  // minimist 1.2.0 is affected (fixed in 1.2.6).
  advisory('GHSA-xvch-5gv4-984h', 'npm', 'minimist', [[{ introduced: '0' }, { fixed: '1.2.6' }]], { aliases: ['CVE-2021-44906'], summary: 'Prototype pollution in minimist' }),
  // express is never in the inventories: it must not produce findings.
  advisory('GHSA-rv95-896h-c2vc', 'npm', 'express', [[{ introduced: '0' }, { fixed: '4.19.2' }]], { aliases: ['CVE-2024-29041'] }),
];

/** Accounts of the harness. */
export const ACCOUNTS = ['admin', 'acme', 'globex'] as const;

/** The harness. */
export interface TestApp {
  app: FastifyInstance;
  db: Db;
  /** `keys[account][role]` → API key. */
  keys: Record<(typeof ACCOUNTS)[number], Record<Role, string>>;
  /** Sends a request with a key. */
  call(key: string | undefined, opts: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** An npm inventory holding lodash 4.17.15 and minimist 1.2.0, as `vigil sbom` writes it. */
export function npmInventory(name: string, type: 'dir' | 'registry' = 'dir', image?: { repository: string; digest: string; tags?: string[] }) {
  const pkg = (n: string, v: string) => ({ ecosystem: 'npm', purlType: 'npm', name: n, version: v, purl: `pkg:npm/${n}@${v}`, locations: ['/app/package-lock.json'], extractor: 'javascript/package-lock-json@1' });
  return {
    schemaVersion: 1,
    target: { type, name, ...(image ? { digest: image.digest, image: { registry: 'reg.example', repository: image.repository, tags: image.tags ?? [], manifestDigest: image.digest, labels: {}, history: [], layers: [] } } : {}) },
    packages: [pkg('lodash', '4.17.15'), pkg('minimist', '1.2.0'), pkg('left-pad', '1.3.0')],
    warnings: [],
    partial: false,
    scannedAt: '2026-11-20T00:00:00.000Z',
  };
}

/** Starts the harness on a dialect. */
export async function startTestApp(dialect: DialectCase, extra: Partial<AppOptions> = {}): Promise<TestApp> {
  const db = await dialect.open();
  const boot = await bootstrapOrganization(db);
  if (!boot) throw new Error('bootstrap did not run on a fresh database');
  await createAccount(db, 'acme');
  await createAccount(db, 'globex');
  const keys = {} as TestApp['keys'];
  for (const account of ACCOUNTS) {
    keys[account] = {} as Record<Role, string>;
    for (const role of ['admin', 'viewer', 'scanner'] as const) keys[account][role] = (await createKey(db, account, role)).key;
  }
  // Authorization tests present hundreds of bad keys from one address: throttling is tested on its own.
  const { app } = await buildApp({ db, engine: createScanEngine(tinyAdvisoryDb(testAdvisories)), webRoot: false, authThrottle: { addressFailures: 1e9, keyFailures: 1e9 }, ...extra });
  await app.ready();
  return {
    app,
    db,
    keys,
    call(key, opts) {
      return app.inject({ ...opts, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...opts.headers } });
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}
