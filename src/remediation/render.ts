/**
 * The plan as `vigil scan --format remediation` prints it (a table) and as
 * `--format remediation-json` writes it.
 */
import type { ScanResult } from '../matching/types.js';
import type { BaseImageAdvice } from './base-image.js';
import type { RemediationPlan } from './plan.js';

/** The JSON document of a plan: what the API returns for a resource, and the CLI for a scan. */
export interface RemediationDocument extends RemediationPlan {
  schemaVersion: 1;
  target: { type?: string; name: string; digest?: string };
  baseImage?: BaseImageAdvice;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]].length)));
  return [header, ...rows].map((r) => '  ' + r.map((c, i) => pad(c, widths[i])).join('  ').trimEnd());
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The plan as text: actions in order with their commands, then what cannot be fixed yet. */
export function formatRemediationTable(doc: RemediationDocument): string {
  const { totals } = doc;
  const lines = [
    doc.target.name,
    `${plural(doc.actions.length, 'action')} close ${totals.fixable} of ${plural(totals.findings, 'finding')} (risk ${totals.riskRemovable} of ${totals.risk}); ${totals.unfixable} cannot be fixed by an upgrade yet`,
  ];
  if (doc.baseImage?.recommendation) lines.push('', doc.baseImage.recommendation.summary);
  if (doc.actions.length > 0) {
    lines.push('', 'Actions (highest risk removed first)');
    const rows = doc.actions.map((a, i) => [
      String(i + 1),
      a.package,
      a.installedVersions.join(', '),
      a.targetVersion,
      String(a.findings.length),
      a.riskRemoved.toFixed(1),
      a.kevCount ? `KEV ${a.kevCount}` : '',
    ]);
    lines.push(...table(['#', 'PACKAGE', 'INSTALLED', 'UPGRADE TO', 'CLOSES', 'RISK', 'MARKS'], rows));
    lines.push('', 'Commands');
    doc.actions.forEach((a, i) => {
      const moving = a.packages.length > 1 || a.packages[0] !== a.package ? ` (${a.packages.join(', ')})` : '';
      lines.push(`  ${i + 1}. ${a.package}${moving}: ${a.command ?? `upgrade to ${a.targetVersion} with the project's package manager`}`);
      if (a.hint) lines.push(`     ${a.hint}`);
    });
  }
  if (doc.unfixable.length > 0) {
    lines.push('', `Cannot be fixed by an upgrade yet (${totals.unfixable})`);
    const rows = doc.unfixable.map((u) => [u.package, u.findings.map((f) => f.vulnerabilityId).filter((id, i, all) => all.indexOf(id) === i).join(' '), u.riskRemaining.toFixed(1), u.detail]);
    lines.push(...table(['PACKAGE', 'VULNERABILITIES', 'RISK', 'REASON'], rows));
  }
  if (totals.findings === 0) lines.push('', 'No findings: nothing to remediate.');
  return `${lines.join('\n')}\n`;
}

/** The target of a scan as the plan document names it. */
export function scanTarget(result: ScanResult): RemediationDocument['target'] {
  return { type: result.target.type, name: result.target.name, ...(result.target.digest ? { digest: result.target.digest } : {}) };
}
