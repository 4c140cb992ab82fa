/**
 * `vigil findings export`: a server's findings, filtered, streamed to a file or standard
 * output as CSV, JSON, OCSF Vulnerability Finding events or AWS Security Finding Format.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXPORT_FORMATS, type ExportFormat } from '../findings/export.js';
import { download } from '../server/download.js';
import { CliError } from './errors.js';

interface ExportOptions {
  server: string;
  apiKey?: string;
  format: string;
  filter?: string;
  severity: string[];
  status: string[];
  awsAccountId?: string;
  awsRegion?: string;
  output?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--filter`: filter criteria as JSON, inline or `@file`. */
function parseFilter(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let raw = text;
  if (text.startsWith('@')) {
    try {
      raw = readFileSync(text.slice(1), 'utf8');
    } catch (err) {
      throw new CliError(`--filter ${text}: ${(err as Error).message}`);
    }
  }
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`--filter must be filter criteria as a JSON object (or @file): ${(err as Error).message}`);
  }
}

/** The export request body: `--filter` plus the `--severity` and `--status` shortcuts. */
export function exportRequest(opts: ExportOptions): Record<string, unknown> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be one of ${EXPORT_FORMATS.join(', ')}; got ${opts.format}`);
  const format = opts.format as ExportFormat;
  if (format === 'asff' && (!opts.awsAccountId || !opts.awsRegion)) throw new CliError('--format asff needs --aws-account-id and --aws-region (where the findings are imported)');
  const filterCriteria = parseFilter(opts.filter);
  const equals = (values: string[]) => values.map((value) => ({ comparison: 'EQUALS', value: value.toUpperCase() }));
  if (opts.severity.length) filterCriteria.severity = equals(opts.severity);
  if (opts.status.length) filterCriteria.findingStatus = equals(opts.status);
  return { format, filterCriteria, ...(format === 'asff' ? { awsAccountId: opts.awsAccountId, awsRegion: opts.awsRegion } : {}) };
}

/** Registers `vigil findings`. */
export function registerFindings(program: Command): void {
  const findings = program.command('findings').description("a Vigil server's findings");
  findings
    .command('export')
    .description('stream findings from a server as CSV, JSON, OCSF (class 2002) or ASFF (Security Hub BatchImportFindings)')
    .requiredOption('--server <url>', 'the Vigil server')
    .option('--api-key <key>', 'API key with the viewer role (default: $VIGIL_API_KEY)')
    .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, 'json')
    .option('--filter <json>', 'filter criteria as JSON, or @file (as POST /api/v1/findings/search takes them)')
    .option('--severity <severity>', 'only this severity, repeatable', collect, [] as string[])
    .option('--status <status>', 'only this status (ACTIVE, SUPPRESSED, CLOSED), repeatable', collect, [] as string[])
    .option('--aws-account-id <id>', 'with --format asff: the 12-digit AWS account the findings are imported into')
    .option('--aws-region <region>', 'with --format asff: the AWS region, e.g. eu-west-1')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action(async (opts: ExportOptions) => {
      const apiKey = opts.apiKey ?? process.env.VIGIL_API_KEY;
      if (!apiKey) throw new CliError('--server needs --api-key KEY (or VIGIL_API_KEY)');
      const body = exportRequest(opts);
      await download({ server: opts.server, apiKey, method: 'POST', path: 'api/v1/findings/export', body, to: opts.output ?? process.stdout });
    });
}
