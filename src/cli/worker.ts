/**
 * `vigil worker`: works background jobs (image scans, re-evaluation, advisory updates,
 * catalog syncs, sweeps) from the shared PostgreSQL queue. Run any number of them, on any
 * machines, beside `vigil server --database postgres://…`.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openDatabase } from '../db/connect.js';
import { startContinuous } from '../jobs/runtime.js';
import { log } from '../log.js';
import { defaultVulnDbPath } from '../vulndb/paths.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';

/** Registers `vigil worker`. */
export const registerWorker: RegisterCommand = (program: Command) => {
  program
    .command('worker')
    .description('Work background jobs from the shared queue (PostgreSQL; SQLite servers work their own jobs)')
    .option('--database <url>', 'postgres://… (default $VIGIL_DATABASE)')
    .option('--vulndb <path>', 'advisory database file (default: $VIGIL_VULNDB or the user cache)')
    .action(async (opts: { database?: string; vulndb?: string }) => {
      const url = opts.database ?? process.env.VIGIL_DATABASE;
      if (!url) throw new CliError('--database postgres://… is required (or set VIGIL_DATABASE)');
      if (!/^postgres(ql)?:\/\//i.test(url)) {
        throw new CliError(`--database ${url}: workers share a PostgreSQL queue; with SQLite the server works its own jobs`);
      }
      let db;
      try {
        db = await openDatabase(url);
      } catch (err) {
        throw new CliError(`cannot open the database: ${(err as Error).message}`);
      }
      const runtime = await startContinuous({ db, role: 'worker', vulndbPath: resolve(opts.vulndb ?? defaultVulnDbPath()) });
      process.stdout.write(`Vigil worker ${process.pid} is working jobs from ${db.url}\n`);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          log.info('worker stopping');
          runtime
            .stop()
            .then(() => db.close())
            .then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
};
