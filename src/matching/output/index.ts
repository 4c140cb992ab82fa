/**
 * Renders a scan result in each `--format` `vigil scan` offers.
 */
import type { Inventory } from '../../inventory/types.js';
import type { ScanResult } from '../types.js';
import { planRemediation, type NewerReleaseLookup } from '../../remediation/plan.js';
import { formatRemediationTable, scanTarget, type RemediationDocument } from '../../remediation/render.js';
import { toSarif } from './sarif.js';
import { formatTable } from './table.js';

/** The formats `vigil scan --format` accepts. */
export const SCAN_FORMATS = ['table', 'json', 'sarif', 'cyclonedx-vex', 'cyclonedx', 'spdx', 'remediation', 'remediation-json'] as const;

/** One of {@link SCAN_FORMATS}. */
export type ScanFormat = (typeof SCAN_FORMATS)[number];

/** What renderers may need besides the result. */
export interface RenderContext {
  inventory: Inventory;
  toolVersion: string;
  /** For the remediation formats: where a later distribution release fixes what this one does not. */
  newerRelease?: NewerReleaseLookup;
}

/** The result as the ordered JSON document issue 6 documents (docs/scan.md). */
export function toJsonDocument(result: ScanResult): ScanResult {
  return {
    schemaVersion: result.schemaVersion,
    target: result.target,
    ...(result.os ? { os: result.os } : {}),
    packageCount: result.packageCount,
    ...(result.coverage ? { coverage: result.coverage } : {}),
    findings: result.findings,
    suppressed: result.suppressed,
    warnings: result.warnings,
  };
}

/** Renders the result as text in the chosen format. */
export async function renderScan(format: ScanFormat, result: ScanResult, ctx: RenderContext): Promise<string> {
  switch (format) {
    case 'table':
      return formatTable(result);
    case 'json':
      return `${JSON.stringify(toJsonDocument(result), null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(toSarif(result, { version: ctx.toolVersion }), null, 2)}\n`;
    case 'cyclonedx':
    case 'cyclonedx-vex':
    case 'spdx': {
      const { renderSbomWithVulnerabilities } = await import('./sbom.js');
      return renderSbomWithVulnerabilities(format, result, ctx);
    }
    case 'remediation':
    case 'remediation-json': {
      const doc: RemediationDocument = { schemaVersion: 1, target: scanTarget(result), ...planRemediation(result.findings, { newerRelease: ctx.newerRelease }) };
      return format === 'remediation' ? formatRemediationTable(doc) : `${JSON.stringify(doc, null, 2)}\n`;
    }
  }
}
