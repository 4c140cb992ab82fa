import type { AnyKysely } from '../jobs/kysely.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import { typeMatches } from './filter.js';
import type { EventPublisher } from './publisher.js';
import type { EventsDatabase } from './schema.js';

/** Options of one SSE stream. */
export interface SseOptions {
  db: AnyKysely;
  /** Wakes the stream at once for events this process publishes; others arrive by polling. */
  publisher?: EventPublisher;
  /** Whose events: one account, or all (delegated administrator). */
  scope: { accountId: string; crossAccount: boolean };
  /** Event-type glob patterns (default all). */
  types?: string[];
  /** Resume after this event (`Last-Event-ID`: the log sequence number sent as `id:`). */
  lastEventId?: string;
  /** Poll interval for events from other processes (ms). Default 1000. */
  pollMs?: number;
  /** Comment line interval keeping proxies from closing an idle stream (ms). Default 15000. */
  heartbeatMs?: number;
  /**
   * The caller's key, checked again while the stream is open: the stream ends when `check`
   * says no (every `everyMs`, default 30000: revocations made by other processes) or at once
   * when `subscribe`'s callback fires (revocations made by this process).
   */
  authorization?: { check(): Promise<boolean>; everyMs?: number; subscribe?(onRevoked: () => void): () => void };
}

/**
 * Streams the event log as Server-Sent Events: `id:` is the log sequence number (so a
 * reconnecting browser resumes with `Last-Event-ID`), `event:` the CloudEvent type and
 * `data:` the CloudEvent JSON. Without `Last-Event-ID` the stream starts with new events.
 */
export async function streamEvents(req: IncomingMessage, res: ServerResponse, opts: SseOptions): Promise<void> {
  const db = opts.db as unknown as Kysely<EventsDatabase>;
  const types = opts.types && opts.types.length > 0 ? opts.types : ['*'];
  let cursor: number;
  const resume = opts.lastEventId !== undefined ? Number(opts.lastEventId) : NaN;
  if (Number.isInteger(resume) && resume >= 0) {
    cursor = resume;
  } else {
    const max = await db.selectFrom('vigil_events').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirst();
    cursor = Number(max?.max ?? 0);
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': vigil event stream\nretry: 2000\n\n');

  let closed = false;
  let pumping = false;
  let again = false;
  const pump = async (): Promise<void> => {
    if (closed) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        for (;;) {
          let q = db.selectFrom('vigil_events').select(['seq', 'type', 'payload']).where('seq', '>', cursor).orderBy('seq').limit(500);
          if (!opts.scope.crossAccount) q = q.where('account_id', '=', opts.scope.accountId);
          const rows = await q.execute();
          if (closed || rows.length === 0) break;
          for (const r of rows) {
            cursor = Number(r.seq);
            if (!typeMatches(types, r.type)) continue;
            res.write(`id: ${cursor}\nevent: ${r.type}\ndata: ${r.payload}\n\n`);
          }
          if (rows.length < 500) break;
        }
      } while (again && !closed);
    } finally {
      pumping = false;
    }
  };
  const wake = (): void => {
    void pump().catch(() => close());
  };
  const poll = setInterval(wake, opts.pollMs ?? 1000);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), opts.heartbeatMs ?? 15_000);
  opts.publisher?.bus.on('published', wake);
  const auth = opts.authorization;
  const revoked = (): void => {
    if (closed) return;
    res.write(': the API key was revoked\n\n');
    close();
  };
  const recheck = auth
    ? setInterval(() => {
        auth.check().then((ok) => (ok ? undefined : revoked()), () => close());
      }, auth.everyMs ?? 30_000)
    : undefined;
  const unsubscribe = auth?.subscribe?.(revoked);
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(poll);
    clearInterval(heartbeat);
    clearInterval(recheck);
    unsubscribe?.();
    opts.publisher?.bus.off('published', wake);
    res.end();
  };
  req.on('close', close);
  res.on('close', close);
  wake();
  await new Promise<void>((resolve) => res.on('close', () => resolve()));
}
