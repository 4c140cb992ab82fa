/**
 * `vigil vex`: a server's suppression decisions out as VEX (`export`), and a VEX document in
 * (`apply`: not_affected/fixed become suppression rules with provenance, affected notes).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { VEX_FORMATS } from '../findings/vex.js';
import { download } from '../server/download.js';
import { CliError } from './errors.js';

interface ServerOptions {
  server: string;
  apiKey?: string;
}

function keyOf(opts: ServerOptions): string {
  const key = opts.apiKey ?? process.env.VIGIL_API_KEY;
  if (!key) throw new CliError('--server needs --api-key KEY (or VIGIL_API_KEY)');
  return key;
}

/** Registers `vigil vex`. */
export function registerVex(program: Command): void {
  const vex = program.command('vex').description("VEX documents in and out of a Vigil server's suppression decisions");
  vex
    .command('export')
    .description('write the suppression decisions as OpenVEX or CycloneDX VEX')
    .requiredOption('--server <url>', 'the Vigil server')
    .option('--api-key <key>', 'API key with the viewer role (default: $VIGIL_API_KEY)')
    .option('--format <format>', `one of ${VEX_FORMATS.join(', ')}`, 'openvex')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action(async (opts: ServerOptions & { format: string; output?: string }) => {
      if (!(VEX_FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be one of ${VEX_FORMATS.join(', ')}; got ${opts.format}`);
      const apiKey = keyOf(opts);
      await download({ server: opts.server, apiKey, method: 'GET', path: `api/v1/vex/export?format=${opts.format}`, to: opts.output ?? process.stdout });
    });
  vex
    .command('apply')
    .description('send an OpenVEX or CycloneDX VEX document to the server, which records its statements')
    .argument('<file>', 'the VEX document (JSON)')
    .requiredOption('--server <url>', 'the Vigil server')
    .option('--api-key <key>', 'API key with the admin role (default: $VIGIL_API_KEY)')
    .option('--account <id>', "apply to another account (delegated administrator's keys only)")
    .action(async (file: string, opts: ServerOptions & { account?: string }) => {
      const apiKey = keyOf(opts);
      let body: unknown;
      try {
        body = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new CliError(`VEX document ${file}: ${(err as Error).message}`);
      }
      const q = new URLSearchParams({ name: basename(file), ...(opts.account ? { accountId: opts.account } : {}) });
      await download({ server: opts.server, apiKey, method: 'POST', path: `api/v1/vex?${q}`, body, to: process.stdout });
      process.stdout.write('\n');
    });
}
