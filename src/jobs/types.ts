/**
 * The job queue contract: one interface, two backends (SQLite in-process, pg-boss on
 * PostgreSQL). Handlers are registered by name; payloads are plain JSON.
 */

/** Every job Vigil runs in the background. */
export type JobName =
  | 'scan-image'
  | 'ingest-inventory'
  | 'reevaluate'
  | 'db-update'
  | 'catalog-sync'
  | 'coverage-sweep'
  | 'retention-sweep'
  | 'network-import'
  | 'network-analysis'
  | 'sla-sweep';

/** Every job name, for backends that must create queues up front. */
export const jobNames: readonly JobName[] = [
  'scan-image',
  'ingest-inventory',
  'reevaluate',
  'db-update',
  'catalog-sync',
  'coverage-sweep',
  'retention-sweep',
  'network-import',
  'network-analysis',
  'sla-sweep',
];

/** Retry policy: `retryLimit` retries after the first attempt, `retryDelaySeconds` doubled each time when `retryBackoff`. */
export interface RetryPolicy {
  retryLimit: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
}

/** Options for one job. */
export interface SendOptions extends Partial<RetryPolicy> {
  /** Do not start before this time. */
  startAfter?: Date;
  /** At most one queued or running job with this key per job name. */
  singletonKey?: string;
  /** A running job whose worker vanished is retried after this long (default 15 min). */
  expireInSeconds?: number;
}

/** A job as a handler sees it. */
export interface Job<T = unknown> {
  id: string;
  name: JobName;
  data: T;
  /** Retries already made (0 on the first attempt). */
  retryCount: number;
  retryLimit: number;
  signal: AbortSignal;
}

/** Runs one job; a thrown error fails the attempt (and retries it while retries remain). */
export type JobHandler<T = unknown> = (job: Job<T>) => Promise<void>;

/** Called once when a job has failed its last attempt. */
export type FinalFailureListener = (job: Job, error: Error) => Promise<void> | void;

/** How often a scheduled job runs. */
export interface ScheduleSpec {
  /** Interval in minutes; pg-boss needs it to divide an hour or be whole hours dividing a day. */
  everyMinutes: number;
  data?: Record<string, unknown>;
}

/** A job as stored, for listings and tests. */
export interface JobRecord {
  id: string;
  name: JobName;
  state: 'created' | 'retry' | 'active' | 'completed' | 'failed' | 'cancelled';
  data: unknown;
  retryCount: number;
  retryLimit: number;
  lastError?: string;
  createdAt: string;
  completedAt?: string;
}

/** The queue both backends implement. */
export interface JobQueue {
  /** Which backend this is. */
  readonly backend: 'sqlite' | 'pg-boss';
  /** Registers the handler for a job name; call before `start()`. */
  register<T>(name: JobName, handler: JobHandler<T>, opts?: { concurrency?: number }): void;
  /** Called when a job fails for good (retries exhausted). */
  onFinalFailure(listener: FinalFailureListener): void;
  /** Queues a job; returns its id, or null when a singleton with the same key is already queued. */
  send<T extends object>(name: JobName, data: T, opts?: SendOptions): Promise<string | null>;
  /** Runs a job on a fixed interval (replaces an earlier schedule for the same name). */
  schedule(name: JobName, spec: ScheduleSpec): Promise<void>;
  /** Starts working (processes only consume when `work` is true; defaults to true). */
  start(opts?: { work?: boolean }): Promise<void>;
  /** Stops polling and waits for running jobs (up to `timeoutMs`). */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** One stored job. */
  get(id: string): Promise<JobRecord | undefined>;
}

/** Default retry policy: 3 retries, 5 s doubling (5, 10, 20 s). */
export const defaultRetry: RetryPolicy = { retryLimit: 3, retryDelaySeconds: 5, retryBackoff: true };

/** Delay before retry number `retryCount + 1`, in milliseconds. */
export function retryDelayMs(policy: RetryPolicy, retryCount: number): number {
  const base = policy.retryDelaySeconds * 1000;
  return policy.retryBackoff ? base * 2 ** retryCount : base;
}
