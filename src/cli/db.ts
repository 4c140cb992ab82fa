/**
 * `vigil db`: update, inspect and query the local advisory database.
 *   vigil db update [--source KIND=URL|PATH]… [--source-dir DIR] [--only ECOSYSTEM,…] [--force]
 *   vigil db status [--json]
 *   vigil db show <ID> [--json]
 *   vigil db search --ecosystem E --package P [--version V] [--json]
 *   vigil db changes --since TIME [--json]
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { tryParseEcosystem } from '../ecosystems.js';
import { cvssVectorsFor } from '../vulndb/cvss.js';
import { eolVerdict } from '../vulndb/eol/index.js';
import { defaultVulnDbPath } from '../vulndb/paths.js';
import { DEFAULT_SOURCES, SourceSpecError, vulndataSpecs } from '../vulndb/sources.js';
import { VulnDb, VulnDbOpenError, type IndexedAdvisoryWithVulns } from '../vulndb/store.js';
import type { OsvAffected, Vulnerability } from '../vulndb/types.js';
import type { UpdateResult } from '../vulndb/update.js';
import { affectsVersion } from '../vulndb/version-filter.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { writeStdout } from './output.js';

const VULNDB_HELP = 'advisory database file (default: $VIGIL_VULNDB or <user cache>/vigil/vulndb.sqlite)';

function dbPath(opt: string | undefined): string {
  return resolve(opt ?? defaultVulnDbPath());
}

function openDb(path: string): VulnDb {
  try {
    return new VulnDb(path);
  } catch (err) {
    if (err instanceof VulnDbOpenError) throw new CliError(err.message);
    throw err;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function print(text: string): void {
  writeStdout(`${text}\n`);
}

/** The `db` command and its subcommands. */
export const registerDb: RegisterCommand = (program: Command) => {
  // `db search --version V` must reach the subcommand, not the program's own --version flag.
  program.enablePositionalOptions();
  const db = program.command('db').description('Update, inspect and query the local advisory database');

  db.command('update')
    .description('Download and import advisories; unchanged sources cost one request')
    .option('--source <KIND=URL|PATH>', 'a source (repeatable); kinds: osv, rubysec, packagist, alpine, debian, nvd, cve5, kev, epss', collect, [])
    .option('--source-dir <dir>', 'import every dataset of a folder laid out like vulndata (osv/, native/, nvd/, cve/, kev/, epss/, updateinfo/)')
    .option('--only <ecosystems>', 'comma-separated OSV ecosystems to import (enrichment is always imported)')
    .option('--force', 'import even sources whose fingerprint has not changed')
    .option('--json', 'print the update report as JSON')
    .option('--vulndb <path>', VULNDB_HELP)
    .addHelpText('after', `\nWithout --source or --source-dir: the sources the database was last updated from, else the defaults:\n${DEFAULT_SOURCES.map((s) => `  ${s}`).join('\n')}`)
    .action(async (opts: { source: string[]; sourceDir?: string; only?: string; force?: boolean; json?: boolean; vulndb?: string }) => {
      const sources = [...opts.source];
      if (opts.sourceDir) {
        const found = vulndataSpecs(opts.sourceDir);
        if (found.length === 0) throw new CliError(`--source-dir ${opts.sourceDir}: no known datasets found (expected osv/, native/, nvd/, cve/, kev/, epss/ or updateinfo/)`);
        sources.push(...found);
      }
      const only = opts.only
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const eco of only ?? []) if (!tryParseEcosystem(eco)) throw new CliError(`--only: unknown ecosystem "${eco}"`);
      // The updater (fetchers, importers, progress bars) loads only here: `db status`, `show` and `search` stay light.
      const [{ UpdateLockedError, updateVulnDb }, { progressBars, progressLog }] = await Promise.all([import('../vulndb/update.js'), import('./update-progress.js')]);
      // --json is for machines: no progress. Otherwise bars on a terminal, log lines elsewhere.
      const bar = opts.json ? undefined : process.stderr.isTTY ? progressBars() : progressLog();
      let result: UpdateResult;
      try {
        result = await updateVulnDb({ dbPath: dbPath(opts.vulndb), sources, only, force: opts.force, onProgress: bar?.update });
      } catch (err) {
        if (err instanceof SourceSpecError || err instanceof UpdateLockedError) throw new CliError(err.message);
        throw err;
      } finally {
        bar?.stop();
      }
      if (opts.json) print(JSON.stringify(result, null, 2));
      else {
        for (const u of result.units) {
          if (u.status === 'failed') continue;
          if (u.status === 'unchanged') {
            print(`unchanged  ${u.name}`);
            continue;
          }
          const c = u.changes ?? { added: 0, modified: 0, withdrawn: 0, removed: 0 };
          print(
            `updated    ${u.name}: ${u.records} records, ${u.skipped} skipped` +
              (u.filtered ? `, ${u.filtered} left out by --only` : '') +
              ` (added ${c.added}, modified ${c.modified}, withdrawn ${c.withdrawn}, removed ${c.removed})`,
          );
          for (const w of (u.warnings ?? []).slice(0, 5)) print(`           skipped: ${w}`);
          if ((u.skipped ?? 0) > 5) print(`           … ${(u.skipped ?? 0) - 5} more skipped (see \`vigil db status --json\`)`);
        }
        print(`database   ${result.dbPath} (${(result.durationMs / 1000).toFixed(1)} s)`);
      }
      for (const u of result.units) if (u.status === 'failed') process.stderr.write(`vigil: ${u.error}\n`);
      if (result.failed > 0) process.exitCode = 1;
    });

  db.command('status')
    .description('Sources, fingerprints, coverage per ecosystem and release (records, sources, last update), enrichment and age of the database')
    .option('--json', 'print as JSON')
    .option('--vulndb <path>', VULNDB_HELP)
    .action(async (opts: { json?: boolean; vulndb?: string }) => {
      const vdb = openDb(dbPath(opts.vulndb));
      try {
        const s = await vdb.status();
        const now = new Date();
        // Each OS release with the end of its vendor's security support, when the table lists it.
        const ecosystems = s.ecosystems.map((e) => {
          const v = eolVerdict(e.ecosystem, now);
          return v ? { ...e, endOfLife: { state: v.state, standard: v.standard, ...(v.extended ? { extended: v.extended } : {}) } } : e;
        });
        if (opts.json) {
          print(JSON.stringify({ ...s, ecosystems }, null, 2));
          return;
        }
        print(`Advisory database ${s.path} (schema ${s.schemaVersion})`);
        print(`Built ${s.builtAt ?? 'never'}${s.ageHours !== undefined ? ` (${s.ageHours.toFixed(1)} h ago)` : ''}`);
        if (s.stale) print('WARNING: the database is older than 24 hours; run `vigil db update`');
        print(`Advisories: ${s.advisories} (${s.withdrawn} withdrawn), vulnerabilities: ${s.vulnerabilities}`);
        print(`Enrichment: CVSS for ${s.enrichment.cvss} CVEs, KEV ${s.enrichment.kev}, EPSS ${s.enrichment.epss}`);
        print('Coverage per ecosystem and release (an ecosystem or release not listed has no data: scans of it report a gap):');
        for (const e of ecosystems) {
          const newest = e.newestModified && !e.newestModified.startsWith('0001-') ? `, newest ${e.newestModified.slice(0, 10)}` : '';
          const changed = e.changedAt ? `, source changed ${e.changedAt.slice(0, 16).replace('T', ' ')}` : '';
          const withdrawn = e.withdrawn ? ` (${e.withdrawn} withdrawn)` : '';
          const eol = 'endOfLife' in e && e.endOfLife.state !== 'supported' ? `; ${e.endOfLife.state === 'eol' ? 'END OF LIFE' : 'standard support ended'} ${e.endOfLife.standard}` : '';
          print(`  ${e.ecosystem.padEnd(24)} ${String(e.advisories).padStart(7)} advisories ${String(e.packages).padStart(7)} packages${withdrawn}  from ${e.sources.join(', ')}${newest}${changed}${eol}`);
        }
        print('Sources:');
        for (const src of s.sources) {
          print(`  ${src.name}`);
          print(`      ${src.records} records, ${src.skipped} skipped; changed ${src.changedAt ?? 'never'}, checked ${src.checkedAt ?? 'never'}`);
          if (src.fingerprint) print(`      fingerprint ${fingerprintText(src.fingerprint)}`);
          if (src.error) print(`      last error: ${src.error}`);
        }
      } finally {
        vdb.close();
      }
    });

  db.command('show')
    .description('One vulnerability by any id or alias (CVE, GHSA, DSA, PYSEC, GO, RUSTSEC, …)')
    .argument('<id>', 'vulnerability id or alias')
    .option('--json', 'print as JSON')
    .option('--vulndb <path>', VULNDB_HELP)
    .action((id: string, opts: { json?: boolean; vulndb?: string }) => {
      const vdb = openDb(dbPath(opts.vulndb));
      try {
        const v = vdb.vulnerability(id);
        if (!v) throw new CliError(`no vulnerability with id or alias "${id}" in ${vdb.path}`);
        const view = showView(v);
        if (opts.json) print(JSON.stringify(view, null, 2));
        else printShow(view);
      } finally {
        vdb.close();
      }
    });

  db.command('search')
    .description('Advisories for a package; with --version, only those that affect that version')
    .requiredOption('--ecosystem <ecosystem>', 'OSV ecosystem, with release for distributions (Debian:12, Alpine:v3.19)')
    .requiredOption('--package <name>', 'package name (source package for Debian and Ubuntu)')
    .option('--version <version>', 'only advisories affecting this version')
    .option('--json', 'print as JSON')
    .option('--vulndb <path>', VULNDB_HELP)
    .action((opts: { ecosystem: string; package: string; version?: string; json?: boolean; vulndb?: string }) => {
      if (!tryParseEcosystem(opts.ecosystem)) throw new CliError(`--ecosystem: unknown ecosystem "${opts.ecosystem}"`);
      const vdb = openDb(dbPath(opts.vulndb));
      try {
        let found = vdb.advisoriesFor(opts.ecosystem, opts.package);
        const unknown: string[] = [];
        if (opts.version !== undefined) {
          const version = opts.version;
          found = found.filter((a) => {
            const verdict = affectsVersion(opts.ecosystem, version, a.affected);
            if (verdict === 'unknown') unknown.push(a.record.id);
            // An undecidable verdict is shown, not hidden: missing a vulnerability is worse.
            return verdict !== 'no';
          });
        }
        const rows = found.map((a) => searchRow(a, unknown.includes(a.record.id)));
        if (opts.json) {
          print(JSON.stringify({ ecosystem: opts.ecosystem, package: opts.package, ...(opts.version ? { version: opts.version } : {}), advisories: rows }, null, 2));
          return;
        }
        if (rows.length === 0) {
          print(`no advisories for ${opts.ecosystem}/${opts.package}${opts.version ? ` ${opts.version}` : ''}`);
          return;
        }
        for (const r of rows) {
          print(`${r.id}${r.aliases.length ? ` (${r.aliases.join(', ')})` : ''}${r.withdrawn ? ' [withdrawn]' : ''}${r.undecided ? ' [version not comparable]' : ''}`);
          if (r.summary) print(`    ${r.summary}`);
          for (const range of r.ranges) print(`    ${range}`);
          if (r.fixed.length) print(`    fixed in: ${r.fixed.join(', ')}`);
        }
      } finally {
        vdb.close();
      }
    });

  db.command('changes')
    .description('Advisories added, modified and withdrawn since a time, with the packages they touch')
    .requiredOption('--since <time>', 'ISO date/time, or a duration back from now (90m, 24h, 7d)')
    .option('--packages', 'only the distinct (ecosystem, package) pairs')
    .option('--json', 'print as JSON')
    .option('--vulndb <path>', VULNDB_HELP)
    .action(async (opts: { since: string; packages?: boolean; json?: boolean; vulndb?: string }) => {
      const since = parseSince(opts.since);
      const vdb = openDb(dbPath(opts.vulndb));
      try {
        if (opts.packages) {
          const pairs = vdb.changedPackagesSince(since);
          if (opts.json) print(JSON.stringify({ since: since.toISOString(), packages: pairs }, null, 2));
          else for (const p of pairs) print(`${p.ecosystem}\t${p.name}`);
          return;
        }
        const changes = await vdb.changes(since);
        if (opts.json) {
          print(JSON.stringify({ since: since.toISOString(), changes, packages: vdb.changedPackagesSince(since) }, null, 2));
          return;
        }
        for (const c of changes) print(`${c.at}\t${c.kind}\t${c.advisoryId}\t${c.ecosystem ?? '-'}\t${c.name ?? '-'}`);
      } finally {
        vdb.close();
      }
    });
};

/** `2026-11-27`, `2026-11-27T10:00:00Z`, or `90m` / `24h` / `7d` back from now. */
export function parseSince(text: string, now = new Date()): Date {
  const rel = /^(\d+)\s*([smhdw])$/i.exec(text.trim());
  if (rel) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[rel[2].toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(rel[1]) * unit * 1000);
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new CliError(`--since "${text}": expected an ISO date/time or a duration like 24h or 7d`);
  return d;
}

function fingerprintText(json: string): string {
  try {
    const f = JSON.parse(json) as Record<string, string>;
    return Object.entries(f)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  } catch {
    return json;
  }
}

/** Text lines for the ranges of affected entries. */
function rangeLines(affected: readonly OsvAffected[]): string[] {
  const out: string[] = [];
  for (const a of affected) {
    const pkg = a.package ? `${a.package.ecosystem}/${a.package.name}: ` : '';
    for (const r of a.ranges ?? []) {
      const parts: string[] = [];
      for (const e of r.events) {
        if (e.introduced !== undefined) parts.push(`introduced ${e.introduced}`);
        if (e.fixed !== undefined) parts.push(`fixed ${e.fixed}`);
        if (e.last_affected !== undefined) parts.push(`last affected ${e.last_affected}`);
        if (e.limit !== undefined) parts.push(`limit ${e.limit}`);
      }
      out.push(`${pkg}${r.type} ${parts.join(', ')}`);
    }
    if (a.versions?.length) out.push(`${pkg}versions ${a.versions.slice(0, 10).join(', ')}${a.versions.length > 10 ? `, … (${a.versions.length})` : ''}`);
  }
  return out;
}

function fixedVersions(affected: readonly OsvAffected[]): string[] {
  const out = new Set<string>();
  for (const a of affected) for (const r of a.ranges ?? []) for (const e of r.events) if (e.fixed !== undefined) out.add(e.fixed);
  return [...out];
}

function searchRow(a: IndexedAdvisoryWithVulns, undecided: boolean) {
  return {
    id: a.record.id,
    aliases: a.record.aliases ?? [],
    vulnerabilities: a.vulnerabilities,
    summary: a.record.summary,
    withdrawn: Boolean(a.record.withdrawn),
    ranges: rangeLines(a.affected),
    fixed: fixedVersions(a.affected),
    affected: a.affected,
    ...(undecided ? { undecided: true } : {}),
  };
}

/** The JSON shape of `vigil db show` (documented in docs/vulndb.md). */
export function showView(v: Vulnerability) {
  const first = v.records[0];
  const affected = v.records.flatMap((r) =>
    (r.affected ?? []).map((a) => ({
      advisory: r.id,
      ecosystem: a.package?.ecosystem,
      name: a.package?.name,
      purl: a.package?.purl,
      ranges: a.ranges ?? [],
      versions: a.versions,
      fixed: fixedVersions([a]),
    })),
  );
  const references = new Set<string>();
  for (const r of v.records) for (const ref of r.references ?? []) references.add(ref.url);
  for (const e of v.enrichment) for (const ref of e.references) references.add(ref);
  const kev = v.enrichment.find((e) => e.kev)?.kev;
  const epss = v.enrichment.find((e) => e.epss)?.epss;
  return {
    id: v.id,
    aliases: v.aliases,
    withdrawn: v.withdrawn,
    summary: v.records.find((r) => r.summary)?.summary,
    details: v.records.find((r) => r.details)?.details,
    published: first?.published,
    modified: v.records.map((r) => r.modified).sort().pop(),
    advisories: v.records.map((r) => ({ id: r.id, summary: r.summary, withdrawn: r.withdrawn })),
    affected,
    cvss: cvssVectorsFor(v),
    cwes: [...new Set(v.enrichment.flatMap((e) => e.cwes))],
    ...(kev ? { kev } : {}),
    ...(epss ? { epss } : {}),
    references: [...references],
  };
}

function printShow(view: ReturnType<typeof showView>): void {
  print(`${view.id}${view.withdrawn ? ' [withdrawn]' : ''}`);
  if (view.aliases.length) print(`Aliases: ${view.aliases.join(', ')}`);
  if (view.summary) print(`Summary: ${view.summary}`);
  if (view.published) print(`Published: ${view.published}`);
  if (view.details) print(`\n${view.details.trim()}\n`);
  if (view.advisories.length) print(`Advisories: ${view.advisories.map((a) => a.id + (a.withdrawn ? ' (withdrawn)' : '')).join(', ')}`);
  if (view.affected.length) {
    print('Affected:');
    for (const a of view.affected) {
      print(`  ${a.ecosystem}/${a.name} (${a.advisory})`);
      for (const line of rangeLines([{ ranges: a.ranges, versions: a.versions }])) print(`    ${line}`);
      if (a.fixed.length) print(`    fixed in: ${a.fixed.join(', ')}`);
    }
  }
  if (view.cvss.length) {
    print('CVSS:');
    for (const c of view.cvss) print(`  ${c.baseScore.toFixed(1).padStart(4)}  ${c.source.padEnd(8)} v${c.version}  ${c.vector}`);
  }
  if (view.cwes.length) print(`CWE: ${view.cwes.join(', ')}`);
  if (view.kev) {
    print(`KEV: added ${view.kev.dateAdded}${view.kev.dueDate ? `, due ${view.kev.dueDate}` : ''}${view.kev.knownRansomwareCampaignUse ? `, ransomware use: ${view.kev.knownRansomwareCampaignUse}` : ''}`);
  }
  if (view.epss) print(`EPSS: ${view.epss.score} (percentile ${view.epss.percentile})${view.epss.date ? ` on ${view.epss.date}` : ''}`);
  if (view.references.length) {
    print('References:');
    for (const r of view.references) print(`  ${r}`);
  }
}
