import type { Kysely, Migration } from 'kysely';

/** A row of `vigil_jobs`: the SQLite backend's persisted queue (pg-boss keeps its own tables). */
export interface JobsTable {
  id: string;
  name: string;
  /** JSON payload. */
  data: string;
  state: string;
  retry_count: number;
  retry_limit: number;
  retry_delay_s: number;
  retry_backoff: number;
  expire_s: number;
  singleton_key: string | null;
  /** ISO-8601 UTC timestamps compare as strings in both dialects. */
  start_after: string;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

/** A row of `vigil_job_schedules`: one fixed-interval schedule per job name. */
export interface JobSchedulesTable {
  name: string;
  every_minutes: number;
  data: string;
  next_run_at: string;
}

/** The tables this module owns. */
export interface JobsDatabase {
  vigil_jobs: JobsTable;
  vigil_job_schedules: JobSchedulesTable;
}

/** Creates the job tables (portable between SQLite and PostgreSQL). */
export const jobsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('vigil_jobs')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('retry_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('retry_limit', 'integer', (c) => c.notNull())
      .addColumn('retry_delay_s', 'integer', (c) => c.notNull())
      .addColumn('retry_backoff', 'integer', (c) => c.notNull())
      .addColumn('expire_s', 'integer', (c) => c.notNull())
      .addColumn('singleton_key', 'text')
      .addColumn('start_after', 'text', (c) => c.notNull())
      .addColumn('locked_until', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('completed_at', 'text')
      .execute();
    await db.schema
      .createIndex('vigil_jobs_ready')
      .ifNotExists()
      .on('vigil_jobs')
      .columns(['name', 'state', 'start_after'])
      .execute();
    await db.schema
      .createTable('vigil_job_schedules')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('every_minutes', 'integer', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('next_run_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('vigil_job_schedules').ifExists().execute();
    await db.schema.dropTable('vigil_jobs').ifExists().execute();
  },
};
