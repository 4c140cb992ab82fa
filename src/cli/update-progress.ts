/**
 * Progress of `vigil db update` on stderr: one bar per source unit on a terminal (a byte
 * count without a bar for downloads of unknown size, which would sit at 0% forever), and
 * periodic log lines otherwise (CI logs, `nohup`), so a long update never looks hung.
 */
import cliProgress from 'cli-progress';
import type { UpdateProgress } from '../vulndb/update.js';

/** What the update calls on progress, and what ends the display. */
export interface ProgressDisplay {
  update(p: UpdateProgress): void;
  stop(): void;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

interface BarPayload {
  unit: string;
  detail: string;
  /** Whether the bar has a total to show a fraction of. */
  known: boolean;
}

/** One bar per source unit; used when stderr is a terminal. */
export function progressBars(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: (options, params, payload: BarPayload) => {
        const width = options.barsize ?? 40;
        const bar = payload.known ? `${cliProgress.Format.BarFormat(params.progress, options)} ${String(Math.round(params.progress * 100)).padStart(3)}%` : `${' '.repeat(width)}     `;
        return ` ${bar} | ${payload.unit} ${payload.detail}`;
      },
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const bar = (unit: string): cliProgress.SingleBar => {
    let b = bars.get(unit);
    if (!b) {
      b = multi.create(1, 0, { unit, detail: '', known: false } satisfies BarPayload);
      bars.set(unit, b);
    }
    return b;
  };
  return {
    update(p) {
      const b = bar(p.unit);
      if (p.phase === 'download') {
        if (p.total) b.setTotal(p.total);
        b.update(p.total ? p.received : 0, { detail: p.total ? `${mib(p.received)} of ${mib(p.total)}` : `${mib(p.received)} downloaded`, known: Boolean(p.total) });
      } else if (p.phase === 'import') {
        b.update({ detail: `${p.records} records imported`, known: false });
      } else {
        b.setTotal(1);
        b.update(1, { detail: p.status, known: true });
      }
    },
    stop() {
      multi.stop();
    },
  };
}

/** The line a progress event reads as. */
function describe(p: UpdateProgress): string {
  if (p.phase === 'download') return p.total ? `downloading, ${mib(p.received)} of ${mib(p.total)} (${Math.floor((p.received / p.total) * 100)}%)` : `downloading, ${mib(p.received)} so far`;
  if (p.phase === 'import') return `importing, ${p.records} records so far`;
  return p.status;
}

/**
 * Log lines for a stderr that is not a terminal: each unit's first event and its outcome,
 * and in between at most one line per unit every `intervalMs`.
 */
export function progressLog(write: (line: string) => void = (line) => process.stderr.write(line), intervalMs = 10_000, now: () => number = Date.now): ProgressDisplay {
  const last = new Map<string, number>();
  return {
    update(p) {
      const t = now();
      const previous = last.get(p.unit);
      if (p.phase !== 'done' && previous !== undefined && t - previous < intervalMs) return;
      last.set(p.unit, t);
      write(`vigil: db update: ${p.unit}: ${describe(p)}\n`);
    },
    stop() {},
  };
}
