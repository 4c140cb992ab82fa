import { pino } from 'pino';

/**
 * The process logger: JSON lines on stderr, so stdout stays free for command output.
 * `VIGIL_LOG_LEVEL` sets the level (default `info`; `silent` in tests).
 */
export const log = pino(
  { name: 'vigil', level: process.env.VIGIL_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info') },
  pino.destination(2),
);

/** The logger type, for modules that take a child logger. */
export type Logger = typeof log;
