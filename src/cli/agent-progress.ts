/**
 * What `vigil agent --once` shows while it works and when it is done: on a terminal a live
 * line (directories walked, package data read, where the walk is); otherwise (CI logs,
 * cron mail, `nohup`) a log line at the start, every interval and at the end, so a long walk
 * never looks hung. Then a summary on stdout: packages, the findings the server stored, the
 * inventory's warnings and partial flag, what was not walked, and the time taken.
 */
import cliProgress from 'cli-progress';
import type { HostInventory, HostReportResult } from '../agent/host-agent.js';
import type { HostScope } from '../agent/host-scope.js';

/** The walk's progress display. */
export interface WalkProgress {
  /** Package bytes read so far (the walk's progress callback). */
  update(bytesRead: number, scope: HostScope): void;
  /** The walk is over: a last line (log) or the live line cleared (terminal). */
  stop(): void;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The walk in one line. */
function describeWalk(root: string, dirs: number, bytes: number, at: string): string {
  return `inventory of ${root}: ${count(dirs)} directories, ${mib(bytes)} of package files read, in ${at}`;
}

/** A live line on a terminal, redrawn by cli-progress (no bar: the total is not known). */
export function walkBar(root: string, stream: NodeJS.WriteStream = process.stderr): WalkProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: true,
      linewrap: false,
      format: (_options, params, payload: { line: string }) => `${Math.round((Date.now() - params.startTime) / 1000)} s | ${payload.line}`,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  return {
    update(bytes, scope) {
      if (stopped) return;
      const line = describeWalk(root, scope.directories, bytes, scope.currentDir);
      if (!started) {
        bar.start(1, 0, { line });
        started = true;
      } else bar.update(0, { line });
    },
    stop() {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}

/**
 * Log lines for a stderr that is not a terminal: one when the walk starts, then at most one
 * every `intervalMs` (checked on each update and by a timer, as a walk may read nothing for
 * a while), and one at the end.
 */
export function walkLog(root: string, write: (line: string) => void = (line) => process.stderr.write(line), intervalMs = 10_000, now: () => number = Date.now): WalkProgress {
  const started = now();
  let last = started;
  let bytes = 0;
  let scope: HostScope | undefined;
  let stopped = false;
  const line = (what: string) =>
    write(`vigil: agent: ${what}${scope ? `: ${count(scope.directories)} directories, ${mib(bytes)} of package files read, in ${scope.currentDir}` : ''} (${Math.round((now() - started) / 1000)} s)\n`);
  write(`vigil: agent: inventory of ${root} started\n`);
  const tick = () => {
    if (now() - last < intervalMs) return;
    last = now();
    line(`inventory of ${root}`);
  };
  const timer = setInterval(tick, Math.min(intervalMs, 1000));
  timer.unref();
  return {
    update(read, current) {
      bytes = read;
      scope = current;
      tick();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      line(`inventory of ${root} done`);
    },
  };
}

/** Severities in the order the summary lists them. */
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'] as const;

/** At most `max` items, then how many more. */
function some(items: string[], max = 5): string {
  return items.slice(0, max).join(', ') + (items.length > max ? `, … and ${items.length - max} more` : '');
}

/**
 * The closing summary of one report. The finding count is the one the server stored for the
 * scan (its answer's `findingCount`), the same number the dashboard shows for it.
 */
export function reportSummary(collected: HostInventory, res: HostReportResult, reportSeconds: number): string {
  const { inventory, scope } = collected;
  const byType = new Map<string, number>();
  for (const p of inventory.packages) byType.set(p.purlType, (byType.get(p.purlType) ?? 0) + 1);
  const types = [...byType].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t, n]) => `${t} ${count(n)}`);
  const findings = res.findingCount ?? res.result.findings.length;
  const bySeverity = SEVERITIES.map((s) => [s, res.result.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${count(n)} ${s}`);
  const suppressed = res.findings?.filter((f) => f.status === 'SUPPRESSED').length ?? 0;
  const lines = [
    `${res.resource.type} ${res.resource.name} (${res.resource.id}): inventory ${res.inventoryVersion} reported (scan ${res.scanId})`,
    `  packages: ${count(inventory.packages.length)}${types.length ? ` (${types.join(', ')})` : ''}`,
    `  findings: ${count(findings)} stored by the server${bySeverity.length ? `: ${bySeverity.join(', ')}` : ''}${res.findings ? ` (${count(res.findings.length - suppressed)} active, ${count(suppressed)} suppressed)` : ''}`,
    `  warnings: ${count(inventory.warnings.length)}${inventory.partial ? '; partial: some files could not be read, findings may be missing' : ''}`,
  ];
  if (scope.leftOut.length > 0) lines.push(`  not walked: ${some(scope.leftOut.map((l) => `${l.path} (${l.why})`))}`);
  if (res.network) lines.push('  network: report sent (listening sockets, interfaces, firewall)');
  lines.push(`  time: ${collected.seconds.toFixed(1)} s inventory (${count(scope.directories)} directories), ${reportSeconds.toFixed(1)} s report`);
  return `${lines.join('\n')}\n`;
}
