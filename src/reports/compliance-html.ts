/**
 * The compliance report as one self-contained, printable HTML page (no scripts, no external
 * resources): what `GET /api/v1/reports/compliance?format=html` returns and what Chromium
 * prints to PDF.
 */
import { OVERDUE_BUCKETS, type ComplianceReport, type ResourceCadence } from '../findings/compliance.js';

/** Rows of the cadence table printed; the JSON report has them all. */
const MAX_CADENCE_ROWS = 2000;

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const day = (iso?: string) => (iso ? iso.slice(0, 10) : 'never');

function cadenceRows(rows: ResourceCadence[]): string {
  return rows
    .slice(0, MAX_CADENCE_ROWS)
    .map((c) => `<tr><td>${escapeHtml(c.accountId)}</td><td>${escapeHtml(c.type)}</td><td class="name">${escapeHtml(c.name)}</td><td>${day(c.lastScannedAt)}</td><td class="n">${c.scansInPeriod}</td></tr>`)
    .join('');
}

const STYLE = `
  @page { size: A4; margin: 14mm 12mm; }
  body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; color: #111; }
  h1 { font-size: 16pt; margin: 0 0 4pt; }
  h2 { font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; }
  h3 { font-size: 10pt; margin: 10pt 0 3pt; }
  table { border-collapse: collapse; width: 100%; margin: 4pt 0; }
  th, td { border: 1px solid #bbb; padding: 2pt 4pt; text-align: left; vertical-align: top; }
  th { background: #eee; }
  td.n, th.n { text-align: right; }
  td.name { word-break: break-all; }
  tr { page-break-inside: avoid; }
  .muted { color: #555; }
  .breach { color: #a00; font-weight: bold; }
  table.controls th:nth-child(1) { width: 13%; }
  table.controls th:nth-child(2) { width: 9%; }
  table.controls th:nth-child(3) { width: 38%; }
  ul { margin: 0; padding-left: 12pt; }
`;

/** Renders the report. */
export function complianceHtml(r: ComplianceReport, organization: string): string {
  const accounts = r.accounts
    .map((a) => {
      const rows = a.severities
        .map((f) => {
          const sla = a.slaDays[f.severity];
          const past = OVERDUE_BUCKETS.map((b) => `<td class="n${f.openPastSla[b] ? ' breach' : ''}">${f.openPastSla[b]}</td>`).join('');
          return `<tr><td>${f.severity}</td><td class="n">${sla ?? '—'}</td><td class="n">${f.opened}</td><td class="n">${f.closed}</td><td class="n">${f.closedPastSla}</td><td class="n">${f.mttrDays ?? '—'}</td>${past}<td class="n">${f.openWithinSla}</td></tr>`;
        })
        .join('');
      return `<h3>Account ${escapeHtml(a.name)} <span class="muted">(${escapeHtml(a.accountId)})</span></h3>
<table><thead><tr><th rowspan="2">Severity</th><th rowspan="2" class="n">SLA days</th><th rowspan="2" class="n">Opened</th><th rowspan="2" class="n">Closed</th><th rowspan="2" class="n">Closed past SLA</th><th rowspan="2" class="n">MTTR (days)</th><th colspan="4">Open past SLA, days past due</th><th rowspan="2" class="n">Open within SLA</th></tr>
<tr>${OVERDUE_BUCKETS.map((b) => `<th class="n">${escapeHtml(b)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
    })
    .join('\n');
  const controls = r.controls
    .map(
      (c) => `<tr><td>${escapeHtml(c.framework)}</td><td><b>${escapeHtml(c.id)}</b></td><td>${escapeHtml(c.requirement)}${c.note ? `<br><span class="muted">${escapeHtml(c.note)}</span>` : ''}<br><span class="muted">Source: ${escapeHtml(c.reference)}</span></td><td><ul>${c.evidence.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul></td></tr>`,
    )
    .join('');
  const { resources, scannedInPeriod, notScannedInPeriod, cadence } = r.scanCoverage;
  const more = cadence.length > MAX_CADENCE_ROWS ? `<p class="muted">${cadence.length - MAX_CADENCE_ROWS} more resources in the JSON report (GET /api/v1/compliance).</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vigil compliance report ${day(r.period.from)} to ${day(r.period.to)}</title><style>${STYLE}</style></head>
<body>
<h1>Vulnerability remediation compliance report</h1>
<p>${escapeHtml(organization)} · period ${day(r.period.from)} to ${day(r.period.to)} (end exclusive) · open findings judged at ${escapeHtml(r.asOf)} · generated ${escapeHtml(r.generatedAt)} by Vigil</p>
<h2>Remediation SLA policy</h2>
<p>Days from first observation to remediation: critical ${r.policy.days.CRITICAL}, high ${r.policy.days.HIGH}, medium ${r.policy.days.MEDIUM}, low ${r.policy.days.LOW}; due soon within ${r.policy.dueSoonDays} days.
${Object.keys(r.policy.accounts).length ? `Account overrides: ${escapeHtml(Object.entries(r.policy.accounts).map(([a, o]) => `${a} ${Object.entries(o).map(([s, d]) => `${s.toLowerCase()} ${d}`).join(', ')}`).join('; '))}.` : 'No account overrides.'}</p>
<h2>Findings by account and severity</h2>
${accounts || '<p>No accounts in scope.</p>'}
<h2>Scan coverage and cadence</h2>
<p>${scannedInPeriod} of ${resources} resources were scanned in the period; ${notScannedInPeriod.length} ${notScannedInPeriod.length === 1 ? 'was' : 'were'} not.</p>
<h3>Resources not scanned in the period</h3>
${notScannedInPeriod.length ? `<table><thead><tr><th>Account</th><th>Type</th><th>Resource</th><th>Last scanned</th><th class="n">Scans</th></tr></thead><tbody>${cadenceRows(notScannedInPeriod)}</tbody></table>` : '<p>None.</p>'}
<h3>Last scan of each resource</h3>
<table><thead><tr><th>Account</th><th>Type</th><th>Resource</th><th>Last scanned</th><th class="n">Scans in period</th></tr></thead><tbody>${cadenceRows(cadence)}</tbody></table>
${more}
<h2>Requirements evidenced</h2>
<p class="muted">Requirement texts are paraphrased; read the standards for their exact wording.</p>
<table class="controls"><thead><tr><th>Framework</th><th>Requirement</th><th>What it asks</th><th>Evidence in this report</th></tr></thead><tbody>${controls}</tbody></table>
</body></html>
`;
}
