/**
 * The human table: findings grouped by severity, most urgent first, with a summary line.
 */
import { SEVERITY_ORDER } from '../../scoring/severity.js';
import type { Finding, ScanResult, Severity } from '../types.js';

const MAX_WARNINGS = 20;

const GAP_LABEL = { 'no-data': 'NO DATA', eol: 'END OF LIFE', 'unknown-os': 'UNKNOWN OS', covered: 'covered' } as const;

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

function fixedColumn(f: Finding): string {
  if (f.fixAvailable === 'NO') return '(no fix)';
  const version = f.fixedVersion ?? '(fix: see advisory)';
  return f.fixAvailable === 'PARTIAL' ? `${version} (partial)` : version;
}

function marks(f: Finding): string {
  const out: string[] = [];
  if (f.kev) out.push('KEV');
  if (f.epss) out.push(`EPSS ${(f.epss.score * 100).toFixed(f.epss.score < 0.1 ? 1 : 0)}%`);
  if (f.adjustments.length > 0) out.push('adjusted');
  if (f.confidence === 'LOW') out.push('LOW confidence');
  return out.join(' ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The summary line: counts per severity, suppressed and packages. */
export function summaryLine(result: ScanResult): string {
  const counts = new Map<Severity, number>();
  for (const f of result.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const parts = SEVERITY_ORDER.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s.toLowerCase()}`);
  const kev = result.findings.filter((f) => f.kev).length;
  return (
    `${plural(result.findings.length, 'finding')}` +
    (parts.length ? ` (${parts.join(', ')})` : '') +
    (kev ? `, ${kev} known exploited` : '') +
    `, ${result.suppressed.length} suppressed, ${plural(result.packageCount, 'package')} scanned` +
    (result.coverage?.gaps ? `, ${plural(result.coverage.gaps, 'coverage gap')}` : '') +
    (result.warnings.length ? `, ${plural(result.warnings.length, 'warning')}` : '')
  );
}

/** Renders the result as a text table. */
export function formatTable(result: ScanResult): string {
  const lines: string[] = [];
  const os = result.os ? ` (${result.os.name} ${result.os.version})` : '';
  lines.push(`${result.target.name}${os}`);
  const header = ['PACKAGE', 'INSTALLED', 'FIXED', 'VULNERABILITY', 'SCORE', 'MARKS'];
  const rows = result.findings.map((f) => [f.package.name, f.package.version, fixedColumn(f), f.id, f.severity === 'UNTRIAGED' ? '-' : f.score.toFixed(1), marks(f)]);
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]].length)));
  for (const severity of SEVERITY_ORDER) {
    const group = result.findings.map((f, i) => ({ f, row: rows[i] })).filter(({ f }) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push('', `${severity} (${group.length})`);
    lines.push('  ' + header.map((h, i) => pad(h, widths[i])).join('  ').trimEnd());
    for (const { row } of group) lines.push('  ' + row.map((c, i) => pad(c, widths[i])).join('  ').trimEnd());
  }
  const gaps = (result.coverage?.ecosystems ?? []).filter((e) => e.status !== 'covered');
  if (result.findings.length === 0) {
    // Said plainly: with a gap, an empty report is not a clean bill of health.
    lines.push('', gaps.length ? `No vulnerabilities found, but ${plural(gaps.length, 'ecosystem')} could not be fully checked (see Coverage gaps).` : 'No vulnerabilities found.');
  }
  if (gaps.length > 0) {
    lines.push('', `Coverage gaps (${gaps.length})`);
    for (const g of gaps) lines.push(`  ${GAP_LABEL[g.status]}  ${g.detail}`);
  }
  if (result.suppressed.length > 0) {
    lines.push('', `Suppressed (${result.suppressed.length})`);
    for (const s of result.suppressed) lines.push(`  ${s.id}  ${s.package}  ${s.reason}`);
  }
  // The gaps were just listed: their warnings would say the same again.
  const gapDetails = new Set(gaps.map((g) => g.detail));
  const warnings = result.warnings.filter((w) => w.path !== undefined || !gapDetails.has(w.reason));
  if (warnings.length > 0) {
    lines.push('', `Warnings (${warnings.length})`);
    // The first few say what kind of trouble there was; the JSON output has them all.
    for (const w of warnings.slice(0, MAX_WARNINGS)) lines.push(`  ${w.path ? `${w.path}: ` : ''}${w.reason}`);
    if (warnings.length > MAX_WARNINGS) lines.push(`  … ${warnings.length - MAX_WARNINGS} more (all of them in --format json)`);
  }
  lines.push('', summaryLine(result));
  return lines.join('\n') + '\n';
}
