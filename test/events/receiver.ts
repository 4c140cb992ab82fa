import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from '../../src/events/signature.js';
import type { VigilCloudEvent } from '../../src/events/types.js';

/** One delivery as the receiver saw it. */
export interface Received {
  event: VigilCloudEvent;
  headers: Record<string, string | string[] | undefined>;
  signatureValid: boolean;
  reason?: string;
}

/**
 * A webhook receiver on 127.0.0.1 that checks each delivery's signature with the
 * subscription secret, as a real receiver would. It can be stopped and started again on
 * the same port to simulate an outage.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  secret = '';
  /** Status code to answer with (to simulate a failing receiver). */
  status = 204;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const check = verify(this.secret, req.headers, body);
        this.received.push({
          event: JSON.parse(body) as VigilCloudEvent,
          headers: req.headers,
          signatureValid: check.ok,
          ...(check.ok ? {} : { reason: check.reason }),
        });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/vigil`;
  }

  /** Distinct event ids received (receivers de-duplicate on them). */
  ids(type?: string): Set<string> {
    return new Set(this.received.filter((r) => !type || r.event.type === type).map((r) => r.event.id));
  }

  /** Waits until `predicate` holds or `timeoutMs` passes. */
  async waitFor(predicate: (r: Received[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met after ${timeoutMs} ms; got ${this.received.map((r) => r.event.type).join(', ') || 'nothing'}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
