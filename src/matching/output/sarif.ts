/**
 * SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps): one rule per
 * vulnerability, one result per (vulnerability, package), located at the files the package was
 * read from.
 */
import type { Finding, ScanResult, Severity } from '../types.js';

/** The SARIF schema URI written into every log. */
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type SarifLevel = 'error' | 'warning' | 'note';

function level(severity: Severity): SarifLevel {
  if (severity === 'CRITICAL' || severity === 'HIGH') return 'error';
  if (severity === 'MEDIUM') return 'warning';
  return 'note';
}

// Code-scanning tools take paths relative to the repository root; inventory locations are
// `/`-rooted inside the target.
function artifactUri(location: string): string {
  const trimmed = location.replace(/^\/+/, '');
  return trimmed === '' ? '.' : trimmed.split('/').map(encodeURIComponent).join('/');
}

function helpText(f: Finding): string {
  const lines = [
    f.title,
    '',
    `Package: ${f.package.name} ${f.package.version} (${f.package.ecosystem})`,
    `Fixed version: ${f.fixedVersion ?? (f.fixAvailable === 'NO' ? 'no fix available' : 'see the advisory')}`,
    `Severity: ${f.severity}${f.severity === 'UNTRIAGED' ? '' : ` (${f.score.toFixed(1)}, ${f.scoreSource})`}`,
  ];
  if (f.scoreReason) lines.push(`Score: ${f.scoreReason}`);
  if (f.cvss) lines.push(`CVSS ${f.cvss.version}: ${f.cvss.vector}`);
  if (f.kev) lines.push(`Known exploited (CISA KEV) since ${f.kev.dateAdded}`);
  if (f.epss) lines.push(`EPSS: ${(f.epss.score * 100).toFixed(2)}% (percentile ${(f.epss.percentile * 100).toFixed(0)})`);
  if (f.aliases.length) lines.push(`Aliases: ${f.aliases.join(', ')}`);
  return lines.join('\n');
}

/** Builds the SARIF log object (serialise it with `JSON.stringify`). */
export function toSarif(result: ScanResult, tool: { version: string; informationUri?: string }): Record<string, unknown> {
  const rules: Record<string, unknown>[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Record<string, unknown>[] = [];
  for (const f of result.findings) {
    let index = ruleIndex.get(f.id);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(f.id, index);
      const help = helpText(f);
      rules.push({
        id: f.id,
        name: f.id.replace(/[^A-Za-z0-9]/g, ''),
        shortDescription: { text: f.title },
        fullDescription: { text: f.description ?? f.title },
        ...(f.references[0] ? { helpUri: f.references[0] } : {}),
        help: { text: help, markdown: help.split('\n').join('  \n') },
        defaultConfiguration: { level: level(f.severity) },
        properties: {
          // GitHub reads `security-severity` (a 0–10 score as a string) to rank alerts.
          ...(f.severity === 'UNTRIAGED' ? {} : { 'security-severity': f.score.toFixed(1) }),
          tags: ['security', 'vulnerability', f.severity.toLowerCase()],
          aliases: f.aliases,
        },
      });
    }
    const locations = f.package.locations.length > 0 ? f.package.locations : [result.target.name];
    results.push({
      ruleId: f.id,
      ruleIndex: index,
      level: level(f.severity),
      message: {
        text: `${f.package.name} ${f.package.version} is affected by ${f.id} (${f.severity}). ${
          f.fixedVersion ? `Upgrade to ${f.fixedVersion}.` : f.fixAvailable === 'NO' ? 'No fix is available.' : 'See the advisory for fixed versions.'
        }`,
      },
      locations: locations.map((loc) => ({
        physicalLocation: { artifactLocation: { uri: artifactUri(loc) } },
        logicalLocations: [{ name: f.package.name, fullyQualifiedName: f.package.purl, kind: 'package' }],
      })),
      partialFingerprints: { 'vigil/v1': `${f.id}|${f.package.purl}` },
      properties: {
        purl: f.package.purl,
        installedVersion: f.package.version,
        ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
        fixAvailable: f.fixAvailable,
        score: f.score,
        scoreSource: f.scoreSource,
        ...(f.scoreReason ? { scoreReason: f.scoreReason } : {}),
        ...(f.kev ? { kev: true } : {}),
        ...(f.epss ? { epss: f.epss.score } : {}),
      },
    });
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'vigil',
            version: tool.version,
            ...(tool.informationUri ? { informationUri: tool.informationUri } : {}),
            rules,
          },
        },
        results,
        properties: { target: result.target, packageCount: result.packageCount, suppressed: result.suppressed.length, ...(result.coverage ? { coverage: result.coverage } : {}) },
        ...(result.warnings.length
          ? {
              invocations: [
                {
                  executionSuccessful: true,
                  toolExecutionNotifications: result.warnings.map((w) => ({ level: 'warning', message: { text: w.path ? `${w.path}: ${w.reason}` : w.reason } })),
                },
              ],
            }
          : {}),
      },
    ],
  };
}
