/**
 * `vigil admin`: manage accounts and API keys directly in the service database (for the
 * first keys, automation, and recovery when no admin key is at hand).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openDatabase, parseDatabaseUrl, type Db } from '../db/connect.js';
import { ROLES, createAccount, createKey, getAccount, listAccounts, listKeys, revokeKey, type Role } from '../server/accounts.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { DEFAULT_DATABASE } from './server.js';

interface DbFlags {
  database?: string;
  createDatabase?: boolean;
}

/**
 * Refuses to create a SQLite database by accident: the default path is relative to the
 * working directory, so `vigil admin` run elsewhere than the server would otherwise make an
 * empty database and put accounts and keys where the server never looks.
 */
function checkExists(url: string, create: boolean): void {
  let location;
  try {
    location = parseDatabaseUrl(url);
  } catch (err) {
    throw new CliError(`cannot open the database: ${(err as Error).message}`);
  }
  if (location.dialect !== 'sqlite' || location.path === ':memory:' || create || existsSync(location.path)) return;
  throw new CliError(
    `no service database at ${resolve(location.path)} (${url} is relative to the working directory): ` +
      'run vigil admin where vigil server runs, pass --database (or $VIGIL_DATABASE) naming the server\'s, or --create-database to start a new one',
  );
}

async function withDb<T>(flags: DbFlags, fn: (db: Db) => Promise<T>): Promise<T> {
  const url = flags.database ?? process.env.VIGIL_DATABASE ?? DEFAULT_DATABASE;
  checkExists(url, Boolean(flags.createDatabase));
  let db: Db;
  try {
    db = await openDatabase(url);
  } catch (err) {
    throw new CliError(`cannot open the database: ${(err as Error).message}`);
  }
  try {
    return await fn(db);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  } finally {
    await db.close();
  }
}

const dbOption = ['--database <url>', `sqlite:PATH or postgres://… (default $VIGIL_DATABASE or ${DEFAULT_DATABASE}, relative to the working directory)`] as const;
const createOption = ['--create-database', 'create the SQLite database when it does not exist (otherwise refused: the server creates it)'] as const;

/** Registers `vigil admin` and its subcommands. */
export const registerAdmin: RegisterCommand = (program: Command) => {
  const admin = program.command('admin').description('Manage accounts and API keys in the service database');
  admin
    .command('create-account <id>')
    .description('Create an account')
    .option('--name <name>', 'display name')
    .option(...dbOption)
    .option(...createOption)
    .action(async (id: string, opts: { name?: string } & DbFlags) => {
      await withDb(opts, async (db) => {
        const account = await createAccount(db, id, opts.name ?? id);
        process.stdout.write(`${account.id}\n`);
      });
    });
  admin
    .command('create-key')
    .description('Create an API key and print it (shown once; only its hash is stored)')
    .requiredOption('--account <id>', 'the account the key acts for')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--name <name>', 'what the key is for')
    .option(...dbOption)
    .option(...createOption)
    .action(async (opts: { account: string; role: string; name?: string } & DbFlags) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliError(`--role ${opts.role}: expected one of ${ROLES.join(', ')}`);
      await withDb(opts, async (db) => {
        if (!(await getAccount(db, opts.account))) throw new CliError(`account ${opts.account} does not exist; create it with \`vigil admin create-account ${opts.account}\``);
        const { key } = await createKey(db, opts.account, opts.role as Role, opts.name);
        process.stdout.write(`${key}\n`);
      });
    });
  admin
    .command('list-accounts')
    .description('List accounts')
    .option(...dbOption)
    .option(...createOption)
    .action(async (opts: DbFlags) => {
      await withDb(opts, async (db) => {
        for (const a of await listAccounts(db, 'ALL')) process.stdout.write(`${a.id}\t${a.delegatedAdmin ? 'delegated-admin' : 'member'}\t${a.name}\n`);
      });
    });
  admin
    .command('list-keys')
    .description('List API keys (never their secrets)')
    .option('--account <id>', 'only this account')
    .option(...dbOption)
    .option(...createOption)
    .action(async (opts: { account?: string } & DbFlags) => {
      await withDb(opts, async (db) => {
        for (const k of await listKeys(db, 'ALL', opts.account)) {
          process.stdout.write(`${k.id}\t${k.accountId}\t${k.role}\t${k.revokedAt ? 'revoked' : 'active'}\t${k.name}\n`);
        }
      });
    });
  admin
    .command('revoke-key <id>')
    .description('Revoke an API key by its id')
    .option(...dbOption)
    .option(...createOption)
    .action(async (id: string, opts: DbFlags) => {
      await withDb(opts, async (db) => {
        if (!(await revokeKey(db, 'ALL', id))) throw new CliError(`no active key ${id}`);
        process.stdout.write(`revoked ${id}\n`);
      });
    });
};
