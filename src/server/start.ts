/**
 * Starting the service: open (and migrate) the database, bootstrap the organization on
 * first start, load the advisory database into the engine, listen, and run the periodic
 * sweeps (closed-finding retention, rule expiry) until stopped.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Db } from '../db/connect.js';
import { debug } from '../debug.js';
import { sweepClosedFindings } from '../findings/lifecycle.js';
import { getSettings } from '../findings/settings.js';
import { expireRules } from '../findings/suppression.js';
import type { Logger } from '../log.js';
import { createScanEngine } from '../matching/engine.js';
import type { ScanEngine } from '../matching/types.js';
import { VulnDb } from '../vulndb/store.js';
import { bootstrapOrganization } from './accounts.js';
import { buildApp } from './app.js';

/** Where to listen. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `HOST:PORT`, `[V6]:PORT`, `:PORT` or `PORT`. */
export function parseListen(value: string): ListenAddress {
  const v = value.trim();
  let host = '127.0.0.1';
  let port: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(v);
  if (v6) [host, port] = [v6[1], v6[2]];
  else if (/^\d+$/.test(v)) port = v;
  else {
    const i = v.lastIndexOf(':');
    if (i < 0) throw new Error(`--listen ${value}: expected HOST:PORT`);
    if (i > 0) host = v.slice(0, i);
    port = v.slice(i + 1);
  }
  const n = Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--listen ${value}: port must be 0-65535`);
  return { host, port: n };
}

/** Options of {@link startServer}. */
export interface StartOptions {
  listen: ListenAddress;
  database: string;
  /** Advisory database file; scans answer 503 while it is missing. */
  vulndb?: string;
  log: Logger;
  /** Overrides the engine (tests). */
  engine?: ScanEngine;
  maxInventoryBytes?: number;
  /** Sweep interval in ms (default hourly). */
  sweepEveryMs?: number;
}

/** A running server. */
export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  url: string;
  /** The bootstrap admin key, on the first start only. */
  bootstrap?: { accountId: string; key: string };
  /** Why scans are unavailable, when they are. */
  engineProblem?: string;
  close(): Promise<void>;
}

/** Runs the periodic sweeps once. */
export async function runSweeps(db: Db, log: Logger): Promise<void> {
  const settings = await getSettings(db);
  const deleted = await sweepClosedFindings(db, { retentionDays: settings.closedRetentionDays });
  const expired = await expireRules(db);
  if (deleted || expired.restored) log.info({ deleted, expiredRules: expired.rules, restored: expired.restored }, 'sweep done');
}

/** Starts the service. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const started = performance.now();
  // The server stores large batches (first evaluations, a fleet's reports): its commits leave
  // copying them into the file to a worker thread.
  const db = await openDatabase(opts.database, { backgroundCheckpoints: true });
  debug('server: database open', { ms: Math.round(performance.now() - started) });
  let vulndb: VulnDb | undefined;
  try {
    const booted = await bootstrapOrganization(db);
    let engine = opts.engine;
    let engineProblem: string | undefined;
    if (!engine) {
      if (opts.vulndb && existsSync(opts.vulndb)) {
        try {
          vulndb = new VulnDb(opts.vulndb);
          engine = createScanEngine(vulndb);
        } catch (err) {
          engineProblem = (err as Error).message;
        }
      } else {
        engineProblem = `no advisory database at ${opts.vulndb ?? '(none given)'}; run \`vigil db update\` or pass --vulndb`;
      }
    }
    debug('server: organization and scan engine ready', { ms: Math.round(performance.now() - started) });
    const { app } = await buildApp({
      db,
      engine,
      log: opts.log,
      config: { vulndbPath: opts.vulndb, ...(opts.maxInventoryBytes ? { maxInventoryBytes: opts.maxInventoryBytes } : {}) },
    });
    debug('server: app built', { ms: Math.round(performance.now() - started) });
    await app.listen({ host: opts.listen.host, port: opts.listen.port });
    debug('server: listening', { ms: Math.round(performance.now() - started) });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.listen.port;
    const host = opts.listen.host.includes(':') ? `[${opts.listen.host}]` : opts.listen.host;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    const timer = setInterval(() => {
      runSweeps(db, opts.log).catch((err) => opts.log.error({ err }, 'sweep failed'));
    }, opts.sweepEveryMs ?? 3600_000);
    timer.unref();
    await runSweeps(db, opts.log);
    return {
      app,
      db,
      url,
      bootstrap: booted ? { accountId: booted.account.id, key: booted.key } : undefined,
      engineProblem,
      async close() {
        clearInterval(timer);
        await app.close();
        await db.close();
        vulndb?.close();
      },
    };
  } catch (err) {
    await db.close();
    vulndb?.close();
    throw err;
  }
}
