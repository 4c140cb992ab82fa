/**
 * `vigil version`: debug version ordering and OSV range verdicts.
 *   vigil version compare <ecosystem> <a> <b>        prints <, = or >
 *   vigil version compare <ecosystem> --batch        reads "a<TAB>b" lines on stdin, one answer per line
 *   vigil version affected <ecosystem> <version> --osv <advisory.json> [--json]
 */
import type { Command } from 'commander';
import { UnknownEcosystemError, parseEcosystem } from '../ecosystems.js';
import { schemeFor } from '../versioning/index.js';
import { evaluateAffected, type OsvVerdict } from '../versioning/osv-range.js';
import { InvalidVersionError, type VersionScheme } from '../versioning/types.js';
import type { OsvAffected, OsvEvent, OsvRecord } from '../vulndb/types.js';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { writeWholeOutput } from './output.js';

function schemeOrExit(ecosystem: string): VersionScheme {
  try {
    return schemeFor(ecosystem);
  } catch (err) {
    if (err instanceof UnknownEcosystemError) throw new CliError(err.message);
    throw err;
  }
}

function symbol(c: number): string {
  return c < 0 ? '<' : c > 0 ? '>' : '=';
}

/** One batch answer: `<`, `=`, `>` or `invalid: reason`. */
function answerLine(scheme: VersionScheme, line: string): string {
  const tab = line.indexOf('\t');
  if (tab < 0) return 'invalid: expected two versions separated by a TAB';
  try {
    return symbol(scheme.compare(line.slice(0, tab), line.slice(tab + 1)));
  } catch (err) {
    if (err instanceof InvalidVersionError) return `invalid: ${err.message}`;
    throw err;
  }
}

/**
 * Streams input to output line by line (LF or CRLF), answering each line; splits raw chunks
 * itself and writes large chunks, honouring backpressure (readline is several times slower).
 */
export async function runBatch(scheme: VersionScheme, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  input.setEncoding('utf8');
  let rest = '';
  let out = '';
  const flush = async (): Promise<void> => {
    if (out === '') return;
    const chunk = out;
    out = '';
    if (!output.write(chunk)) await new Promise<void>((resolve) => output.once('drain', () => resolve()));
  };
  const answer = (line: string): void => {
    out += answerLine(scheme, line.endsWith('\r') ? line.slice(0, -1) : line) + '\n';
  };
  for await (const chunk of input) {
    const text = rest + String(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      answer(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    if (out.length >= 64 * 1024) await flush();
  }
  // A last line without its newline still gets an answer.
  if (rest !== '') answer(rest);
  await flush();
}

function describeEvent(e: OsvEvent): string {
  return Object.entries(e)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

function readAdvisory(path: string): { id: string; entries: OsvAffected[] } {
  let text: string;
  try {
    // Not imported: see output.ts on Node's ES module view of `node:fs`.
    text = process.getBuiltinModule('node:fs').readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read advisory ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`advisory ${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!json || typeof json !== 'object') throw new CliError(`advisory ${path} is not an OSV record or affected entry`);
  const obj = json as Partial<OsvRecord> & Partial<OsvAffected>;
  // Accept a whole OSV record, or one of its `affected` entries on its own.
  if (Array.isArray(obj.affected)) return { id: typeof obj.id === 'string' ? obj.id : path, entries: obj.affected };
  if (Array.isArray(obj.ranges) || Array.isArray(obj.versions)) return { id: path, entries: [obj as OsvAffected] };
  throw new CliError(`advisory ${path} has no "affected" entries (nor "ranges"/"versions" of its own)`);
}

function sameBase(a: string, b: string): boolean {
  try {
    return parseEcosystem(a).info.name === parseEcosystem(b).info.name;
  } catch {
    return false;
  }
}

function printVerdict(id: string, index: number, entry: OsvAffected, verdict: OsvVerdict, out: string[]): void {
  const pkg = entry.package ? `${entry.package.ecosystem} ${entry.package.name}` : '(no package)';
  const word = verdict.affected === true ? 'affected' : verdict.affected === false ? 'not affected' : 'unknown';
  out.push(`${id} affected[${index}] ${pkg}: ${word}`);
  (entry.ranges ?? []).forEach((range, i) => {
    const mark = verdict.matchedRanges.includes(i) ? '  <- contains the version' : '';
    out.push(`  range ${i} (${range.type}): ${(range.events ?? []).map(describeEvent).join('; ')}${mark}`);
  });
  if (verdict.inVersionsList) out.push('  listed in "versions"');
  if (verdict.affected === true) {
    out.push(`  fixed version: ${verdict.fixedVersion ?? 'none known'} (${verdict.fixStatus})`);
  }
  if (verdict.reason) out.push(`  reason: ${verdict.reason}`);
}

/** Registers `vigil version`. */
export const registerVersion: RegisterCommand = (program: Command) => {
  const version = program
    .command('version')
    .description('debug version ordering and OSV range verdicts for an ecosystem')
    // Usage errors must reach runCli (exit 2), not exit the process with commander's 1.
    .exitOverride();

  version
    .command('compare')
    .exitOverride()
    .description('compare two versions (<, = or >), or "a<TAB>b" lines from stdin with --batch')
    .argument('<ecosystem>', 'OSV ecosystem, e.g. Debian:12, npm, PyPI')
    .argument('[a]', 'first version')
    .argument('[b]', 'second version')
    .option('--batch', 'read "a<TAB>b" lines from standard input; print <, =, > or "invalid: reason" per line')
    .action(async (ecosystem: string, a: string | undefined, b: string | undefined, opts: { batch?: boolean }) => {
      const scheme = schemeOrExit(ecosystem);
      if (opts.batch) {
        if (a !== undefined) throw new CliError('--batch reads versions from standard input; give no versions as arguments');
        await runBatch(scheme, process.stdin, process.stdout);
        return;
      }
      if (a === undefined || b === undefined) throw new CliError('give two versions to compare, or --batch');
      try {
        writeWholeOutput(`${symbol(scheme.compare(a, b))}\n`);
      } catch (err) {
        if (err instanceof InvalidVersionError) throw new CliError(err.message);
        throw err;
      }
    });

  version
    .command('affected')
    .exitOverride()
    .description('is the version inside an OSV advisory\'s affected ranges? prints which range and the fixed version')
    .argument('<ecosystem>', 'OSV ecosystem, e.g. Debian:12, npm, PyPI')
    .argument('<version>', 'installed version')
    .requiredOption('--osv <file>', 'OSV advisory JSON (a whole record, or one affected entry)')
    .option('--json', 'print the verdicts as JSON')
    .action((ecosystem: string, ver: string, opts: { osv: string; json?: boolean }) => {
      schemeOrExit(ecosystem);
      const { id, entries } = readAdvisory(opts.osv);
      const chosen = entries
        .map((entry, index) => ({ entry, index }))
        .filter(({ entry }) => entry.package === undefined || sameBase(entry.package.ecosystem, ecosystem));
      if (chosen.length === 0) {
        const have = [...new Set(entries.map((e) => e.package?.ecosystem ?? '?'))].join(', ');
        throw new CliError(`advisory ${id} has no affected entry for ${ecosystem} (it names: ${have})`);
      }
      const results = chosen.map(({ entry, index }) => ({ index, entry, verdict: evaluateAffected(ver, entry, { ecosystem }) }));
      if (opts.json) {
        const json = results.map(({ index, entry, verdict }) => ({ advisory: id, entry: index, package: entry.package, ...verdict }));
        writeWholeOutput(`${JSON.stringify(json, null, 2)}\n`);
        return;
      }
      const out: string[] = [];
      const any = results.some((r) => r.verdict.affected === true);
      const unknown = results.some((r) => r.verdict.affected === 'unknown');
      out.push(`${ecosystem} ${ver}: ${any ? 'AFFECTED' : unknown ? 'UNKNOWN' : 'not affected'} by ${id}`);
      for (const { index, entry, verdict } of results) printVerdict(id, index, entry, verdict, out);
      writeWholeOutput(`${out.join('\n')}\n`);
    });
};
