/**
 * `vigil scan <target>`: inventory a target, match it against the local advisory database,
 * score the findings in context, and report them in the format CI wants, with an exit code
 * that can gate a pipeline (1 when `--fail-on` is met, 2 for any error).
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { debug } from '../debug.js';
import { assertKnownScheme, assertTargetPresent, scanTarget, TargetError } from '../inventory/index.js';
import type { ScanWarning } from '../inventory/types.js';
import { runScan } from '../matching/engine.js';
import { failsGate, filterFindings } from '../matching/filters.js';
import type { IgnoreEntry } from '../matching/ignore-file.js';
import { newerReleaseLookup } from '../remediation/newer-release.js';
import { renderScan, SCAN_FORMATS, type ScanFormat } from '../matching/output/index.js';
import { storeIndex } from '../matching/store-index.js';
import { summaryLine } from '../matching/output/table.js';
import type { ScanContext, Severity } from '../matching/types.js';
import { parseSeverity, SEVERITY_ORDER } from '../scoring/severity.js';
import { defaultVulnDbPath } from '../vulndb/paths.js';
import { VulnDb, VulnDbOpenError } from '../vulndb/store.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { addTargetOptions, scanOptionsFrom, type TargetFlags } from './sbom.js';
import type { VexDocument } from '../vex/read.js';
import { collect, parseTags } from './tags.js';
import type { HostNetworkReport } from '../network/host/collect.js';
import type { HostReader } from '../network/host/reader.js';
import { withHostNetwork } from '../network/host/render.js';
import { writeStdout } from './output.js';

/** The default ignore file, read from the working directory when present. */
export const DEFAULT_IGNORE_FILE = '.vigilignore.yaml';

/** How old the database may get before a scan refreshes it (or warns, offline). */
const MAX_DB_AGE_MS = 24 * 60 * 60 * 1000;

interface ScanOptions extends TargetFlags {
  format: string;
  output?: string;
  severity?: string;
  failOn?: string;
  failOnGaps?: boolean;
  ignoreUnfixed?: boolean;
  vulndb?: string;
  offline?: boolean;
  context: string[];
  includeOsOwned?: boolean;
  ignoreFile?: string;
  vex: string[];
  server?: string;
  apiKey?: string;
  name?: string;
  tag: string[];
  account?: string;
  /** False with --no-network. */
  network?: boolean;
}

function parseFormat(text: string): ScanFormat {
  const format = SCAN_FORMATS.find((f) => f === text.trim().toLowerCase());
  if (!format) throw new CliError(`--format "${text}": expected one of ${SCAN_FORMATS.join(', ')}`);
  return format;
}

function severityOrThrow(text: string, flag: string): Severity {
  const severity = parseSeverity(text);
  if (!severity) throw new CliError(`${flag} "${text}": expected one of ${SEVERITY_ORDER.join(', ')}`);
  return severity;
}

/** Milliseconds since the process started, for `--debug`'s step timings. */
function sinceStart(): number {
  return Math.round(performance.now());
}

/** `--context key=value[,key=value]`, repeatable. */
export function parseContext(values: readonly string[]): ScanContext {
  const context: ScanContext = {};
  for (const part of values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq).trim().toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim().toLowerCase();
    if (key !== 'internet-reachable') throw new CliError(`--context "${part}": unknown key "${key}" (known: internet-reachable)`);
    if (value !== 'true' && value !== 'false') throw new CliError(`--context "${part}": internet-reachable takes true or false`);
    context.internetReachable = value === 'true';
  }
  return context;
}

/**
 * Opens the database, refreshing it first when it is missing or older than a day (unless
 * offline). A failed refresh of an existing database is a warning: yesterday's data beats none.
 */
async function openDatabase(path: string, offline: boolean, warnings: ScanWarning[]): Promise<VulnDb> {
  const exists = existsSync(path);
  const ageMs = exists ? Date.now() - statSync(path).mtimeMs : Infinity;
  if (!exists && offline) throw new CliError(`no advisory database at ${path}: run \`vigil db update\` first, or pass --vulndb PATH`);
  if (ageMs > MAX_DB_AGE_MS && !offline) {
    process.stderr.write(`vigil: ${exists ? 'refreshing' : 'downloading'} the advisory database at ${path}\n`);
    try {
      // Loaded on demand, like the server client below: a scan with a fresh database needs neither.
      const { updateVulnDb } = await import('../vulndb/update.js');
      const update = await updateVulnDb({ dbPath: path });
      for (const unit of update.units) {
        if (unit.status === 'failed') warnings.push({ reason: `advisory source ${unit.name} could not be updated: ${unit.error ?? 'failed'}` });
      }
    } catch (err) {
      if (!existsSync(path)) throw new CliError(`cannot build the advisory database at ${path}: ${err instanceof Error ? err.message : String(err)}`);
      warnings.push({ reason: `advisory database update failed, scanning with the previous one: ${err instanceof Error ? err.message : String(err)}` });
    }
  } else if (ageMs > MAX_DB_AGE_MS) {
    warnings.push({ reason: `the advisory database is ${Math.floor(ageMs / 3_600_000)} hours old (offline: not refreshed)` });
  }
  try {
    return new VulnDb(path);
  } catch (err) {
    if (err instanceof VulnDbOpenError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * Reads the `--vex` documents; a bad one is a usage error naming the file. The VEX readers,
 * like the ignore-file reader below, load only when there is something for them to read.
 */
async function loadVexFiles(files: readonly string[]): Promise<VexDocument[]> {
  if (files.length === 0) return [];
  const [{ VexError }, { readVexFile }] = await Promise.all([import('../vex/read.js'), import('../vex/scan.js')]);
  try {
    return files.map((f) => readVexFile(f));
  } catch (err) {
    if (err instanceof VexError) throw new CliError(err.message);
    throw err;
  }
}

async function loadIgnoreEntries(file: string | undefined): Promise<{ entries: IgnoreEntry[]; file?: string }> {
  const explicit = file !== undefined;
  const path = resolve(file ?? DEFAULT_IGNORE_FILE);
  if (!explicit && !existsSync(path)) return { entries: [] };
  const { IgnoreFileError, readIgnoreFile } = await import('../matching/ignore-file.js');
  try {
    return { entries: readIgnoreFile(path), file: file ?? DEFAULT_IGNORE_FILE };
  } catch (err) {
    if (err instanceof IgnoreFileError) throw new CliError(err.message);
    throw err;
  }
}

async function scanAction(target: string, opts: ScanOptions, toolVersion: string): Promise<void> {
  const format = parseFormat(opts.format);
  const severities = opts.severity
    ? new Set(
        opts.severity
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => severityOrThrow(s, '--severity')),
      )
    : undefined;
  const failOn = opts.failOn ? severityOrThrow(opts.failOn, '--fail-on') : undefined;
  const context: ScanContext = { ...parseContext(opts.context), ...(opts.includeOsOwned ? { includeOsOwned: true } : {}) };
  const ignore = await loadIgnoreEntries(opts.ignoreFile);
  const vexDocs = await loadVexFiles(opts.vex);
  const tags = opts.tag.length > 0 ? parseTags(opts.tag) : undefined;
  if (!opts.server && (opts.name !== undefined || tags || opts.account !== undefined)) throw new CliError('--name, --tag and --account name the resource on a server: use them with --server');
  try {
    // Before the database is opened (or downloaded): a typo in the scheme or the path should not cost that.
    assertKnownScheme(target);
    assertTargetPresent(target);
  } catch (err) {
    if (err instanceof TargetError) throw new CliError(err.message);
    throw err;
  }

  const warnings: ScanWarning[] = [];
  // With --server, the server matches, scores and stores the inventory: no local database.
  const apiKey = opts.apiKey ?? process.env.VIGIL_API_KEY;
  if (opts.server && !apiKey) throw new CliError('--server needs --api-key KEY (or VIGIL_API_KEY)');
  const db = opts.server ? undefined : await openDatabase(resolve(opts.vulndb ?? defaultVulnDbPath()), Boolean(opts.offline), warnings);
  if (db) debug('scan: database open', { path: db.path, atMs: sinceStart() });
  try {
    let inventory;
    // A live host's network report is read over the same session: printed with the findings,
    // and filed with a server as `vigil agent` does.
    let network: HostNetworkReport | undefined;
    const withHost =
      opts.network !== false
        ? async (host: HostReader) => {
            const { collectHostNetwork } = await import('../network/host/collect.js');
            network = await collectHostNetwork({ host });
          }
        : undefined;
    try {
      inventory = await scanTarget(target, { ...scanOptionsFrom(opts), ...(withHost ? { withHost } : {}) });
      debug('scan: inventory', { packages: inventory.packages.length, atMs: sinceStart() });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
    const say = (line: string) => process.stderr.write(`${line}\n`);
    const serverClient = opts.server ? await import('./scan-server.js') : undefined;
    const raw = db
      ? runScan(inventory, storeIndex(db), context).result
      : await serverClient!.scanOnServer({ server: opts.server!, apiKey: apiKey!, inventory, target, context, name: opts.name, tags, accountId: opts.account, say, network });
    debug('scan: matched', { findings: raw.findings.length, atMs: sinceStart() });
    let result = { ...raw, warnings: [...warnings, ...raw.warnings] };
    if (ignore.entries.length > 0 || ignore.file) {
      const before = result.suppressed.length;
      const { applyIgnoreEntries } = await import('../matching/ignore-file.js');
      result = applyIgnoreEntries(result, ignore.entries, new Date(), ignore.file);
      const local = result.suppressed.length - before;
      if (opts.server && local > 0) {
        result = serverClient!.markLocalOnly(result, before, ignore.file ?? DEFAULT_IGNORE_FILE);
        say(`vigil: ${local} finding${local === 1 ? '' : 's'} ignored by ${ignore.file} in this report and gate only: the server keeps ${local === 1 ? 'it' : 'them'} ACTIVE (a suppression rule there triages centrally)`);
      }
    }
    if (vexDocs.length > 0) {
      const before = result.suppressed.length;
      const { applyVexToScan } = await import('../vex/scan.js');
      result = applyVexToScan(result, vexDocs);
      const local = result.suppressed.length - before;
      if (opts.server && local > 0) {
        result = serverClient!.markLocalOnly(result, before, opts.vex.join(', '));
        say(`vigil: ${local} finding${local === 1 ? '' : 's'} suppressed by --vex in this report and gate only: POST the document to /api/v1/vex to record it on the server`);
      }
    }
    result = filterFindings(result, { ...(severities ? { severities } : {}), ...(opts.ignoreUnfixed ? { ignoreUnfixed: true } : {}) });

    const newerRelease = db && format.startsWith('remediation') ? newerReleaseLookup(storeIndex(db)) : undefined;
    const rendered = await renderScan(format, result, { inventory, toolVersion, newerRelease });
    const text = network ? withHostNetwork(format, rendered, network) : rendered;
    debug('scan: report rendered', { format, atMs: sinceStart() });
    if (opts.output) {
      try {
        writeFileSync(opts.output, text);
      } catch (err) {
        throw new CliError(`cannot write ${opts.output}: ${err instanceof Error ? err.message : String(err)}`);
      }
      process.stderr.write(`${summaryLine(result)}\n`);
    } else {
      writeStdout(text);
    }
    if (failOn && failsGate(result, failOn)) {
      process.stderr.write(`vigil: findings at or above ${failOn}: failing (--fail-on ${failOn})\n`);
      process.exitCode = 1;
    }
    if (opts.failOnGaps) {
      const gaps = result.coverage?.ecosystems.filter((e) => e.status !== 'covered') ?? [];
      if (!result.coverage) {
        process.stderr.write('vigil: the data coverage of this scan is unknown: failing (--fail-on-gaps)\n');
        process.exitCode = 1;
      } else if (gaps.length > 0) {
        process.stderr.write(`vigil: ${gaps.length} ecosystem${gaps.length === 1 ? '' : 's'} without advisory data or at end of life (${gaps.map((g) => g.ecosystem).join(', ')}): failing (--fail-on-gaps)\n`);
        process.exitCode = 1;
      }
    }
  } finally {
    db?.close();
  }
}

/** Registers `vigil scan`. */
export const registerScan: RegisterCommand = (program: Command) => {
  const cmd = program
    .command('scan')
    .description('Find known vulnerabilities in a target (image, root filesystem, directory, lockfile or SBOM) and score them in context')
    .argument('<target>', 'what to scan: dir:PATH, oci-dir:PATH, docker-archive:FILE, oci-archive:FILE, registry:REF, ssh:[USER@]HOST[:PORT][/ROOT], sbom:FILE, or a path')
    .option('-f, --format <format>', `output format: ${SCAN_FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the report to FILE instead of standard output')
    .option('--severity <list>', 'report only these severities (comma-separated, e.g. CRITICAL,HIGH)')
    .option('--fail-on <severity>', 'exit 1 when any reported finding is at or above SEVERITY')
    .option('--fail-on-gaps', 'exit 1 when an ecosystem of the target has no advisory data, its OS is unknown or its release is end of life')
    .option('--ignore-unfixed', 'leave out vulnerabilities that have no fix at all')
    .option('--vulndb <path>', 'advisory database file (default: $VIGIL_VULNDB or the user cache)')
    .option('--offline', 'never download or refresh the advisory database')
    .option('--context <key=value>', 'what is known about where the target runs: internet-reachable=true|false (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--include-os-owned', 'also match language packages installed by OS packages (the distribution covers them by default)')
    .option('--vex <file>', 'an OpenVEX or CycloneDX VEX document: not_affected and fixed statements suppress, affected ones become notes (repeatable)', collect, [] as string[])
    .option('--ignore-file <file>', `accepted vulnerabilities (default: ${DEFAULT_IGNORE_FILE} when present)`)
    .option('--server <url>', 'send the inventory to a Vigil server, which matches, stores and tracks it (needs --api-key)')
    .option('--api-key <key>', 'API key with the scanner role for --server (default: $VIGIL_API_KEY)')
    .option('--name <name>', 'with --server: the resource name (default: git remote and path, image repository:tag, or SBOM subject)')
    .option('--tag <key=value>', "with --server: a resource tag, repeatable (replaces the resource's tags)", collect, [] as string[])
    .option('--account <id>', "with --server: file the resource under another account (delegated administrator's keys only)")
    .option('--no-network', "with an ssh: target: do not read the host's network report (listening sockets, interfaces, firewall), printed with the findings and, with --server, sent after its inventory");
  addTargetOptions(cmd).action(async (target: string, opts: ScanOptions) => {
    await scanAction(target, opts, program.version() ?? '0.0.0');
  });
};
