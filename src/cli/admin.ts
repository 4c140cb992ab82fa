/**
 * `vigil admin`: manage accounts and API keys directly in the service database (for the
 * first keys, automation, and recovery when no admin key is at hand).
 */
import type { Command } from 'commander';
import { openDatabase, type Db } from '../db/connect.js';
import { ROLES, createAccount, createKey, getAccount, listAccounts, listKeys, revokeKey, type Role } from '../server/accounts.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { DEFAULT_DATABASE } from './server.js';

async function withDb<T>(database: string | undefined, fn: (db: Db) => Promise<T>): Promise<T> {
  let db: Db;
  try {
    db = await openDatabase(database ?? process.env.VIGIL_DATABASE ?? DEFAULT_DATABASE);
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

const dbOption = ['--database <url>', `sqlite:PATH or postgres://… (default $VIGIL_DATABASE or ${DEFAULT_DATABASE})`] as const;

/** Registers `vigil admin` and its subcommands. */
export const registerAdmin: RegisterCommand = (program: Command) => {
  const admin = program.command('admin').description('Manage accounts and API keys in the service database');
  admin
    .command('create-account <id>')
    .description('Create an account')
    .option('--name <name>', 'display name')
    .option(...dbOption)
    .action(async (id: string, opts: { name?: string; database?: string }) => {
      await withDb(opts.database, async (db) => {
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
    .action(async (opts: { account: string; role: string; name?: string; database?: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliError(`--role ${opts.role}: expected one of ${ROLES.join(', ')}`);
      await withDb(opts.database, async (db) => {
        if (!(await getAccount(db, opts.account))) throw new CliError(`account ${opts.account} does not exist; create it with \`vigil admin create-account ${opts.account}\``);
        const { key } = await createKey(db, opts.account, opts.role as Role, opts.name);
        process.stdout.write(`${key}\n`);
      });
    });
  admin
    .command('list-accounts')
    .description('List accounts')
    .option(...dbOption)
    .action(async (opts: { database?: string }) => {
      await withDb(opts.database, async (db) => {
        for (const a of await listAccounts(db, 'ALL')) process.stdout.write(`${a.id}\t${a.delegatedAdmin ? 'delegated-admin' : 'member'}\t${a.name}\n`);
      });
    });
  admin
    .command('list-keys')
    .description('List API keys (never their secrets)')
    .option('--account <id>', 'only this account')
    .option(...dbOption)
    .action(async (opts: { account?: string; database?: string }) => {
      await withDb(opts.database, async (db) => {
        for (const k of await listKeys(db, 'ALL', opts.account)) {
          process.stdout.write(`${k.id}\t${k.accountId}\t${k.role}\t${k.revokedAt ? 'revoked' : 'active'}\t${k.name}\n`);
        }
      });
    });
  admin
    .command('revoke-key <id>')
    .description('Revoke an API key by its id')
    .option(...dbOption)
    .action(async (id: string, opts: { database?: string }) => {
      await withDb(opts.database, async (db) => {
        if (!(await revokeKey(db, 'ALL', id))) throw new CliError(`no active key ${id}`);
        process.stdout.write(`revoked ${id}\n`);
      });
    });
};
