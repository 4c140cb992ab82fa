/**
 * `vigil server`: runs the service (API, dashboard, metrics) on the embedded SQLite
 * database or PostgreSQL.
 */
import type { Command } from 'commander';
import { defaultVulnDbPath } from '../vulndb/paths.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';

/** The database used when neither `--database` nor `VIGIL_DATABASE` is given. */
export const DEFAULT_DATABASE = 'sqlite:.vigil/vigil.db';

/** Registers `vigil server`. */
export const registerServer: RegisterCommand = (program: Command) => {
  program
    .command('server')
    .description('Run the Vigil service: JSON API under /api/v1, dashboard at /, /metrics, /healthz')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--database <url>', `sqlite:PATH or postgres://… (default $VIGIL_DATABASE or ${DEFAULT_DATABASE})`)
    .option('--vulndb <path>', 'advisory database file (default: as `vigil db update` writes it)')
    .option('--max-inventory-mb <n>', 'largest accepted inventory or SBOM upload, in MiB', '64')
    .action(async (opts: { listen: string; database?: string; vulndb?: string; maxInventoryMb: string }) => {
      // Loaded here, not with the command: `vigil --help` and `vigil server --help` need none of it.
      const [{ log }, { parseListen, startServer }] = await Promise.all([import('../log.js'), import('../server/start.js')]);
      let listen;
      try {
        listen = parseListen(opts.listen);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const maxMb = Number(opts.maxInventoryMb);
      if (!Number.isFinite(maxMb) || maxMb <= 0) throw new CliError(`--max-inventory-mb ${opts.maxInventoryMb}: expected a positive number`);
      const database = opts.database ?? process.env.VIGIL_DATABASE ?? DEFAULT_DATABASE;
      let server;
      try {
        server = await startServer({ listen, database, vulndb: opts.vulndb ?? defaultVulnDbPath(), log: log.child({ component: 'server' }), maxInventoryBytes: maxMb * 1024 * 1024 });
      } catch (err) {
        throw new CliError(`cannot start the server: ${(err as Error).message}`);
      }
      const out: string[] = [];
      if (server.bootstrap) {
        out.push(
          `Created the organization. Bootstrap admin key for the delegated administrator account "${server.bootstrap.accountId}"`,
          `(shown once, store it now):`,
          ``,
          `  ${server.bootstrap.key}`,
          ``,
        );
      }
      out.push(`Vigil is running at ${server.url}/  (API ${server.url}/api/v1, OpenAPI ${server.url}/api/openapi.json)`);
      out.push(`Database: ${server.db.url}`);
      if (server.engineProblem) out.push(`Scans are unavailable: ${server.engineProblem}`);
      process.stdout.write(out.join('\n') + '\n');
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          server.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
};
