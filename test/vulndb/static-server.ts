/**
 * A loopback HTTP server over a directory, like a bucket or mirror: ETag and Last-Modified
 * on every file, 304 for a matching If-None-Match / If-Modified-Since, and faults a test can
 * switch on per path (a connection dropped mid-body, corrupted bytes, an HTTP error).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

/** What a path can be made to do wrong. */
export type Fault = 'drop' | 'corrupt' | 'http-500';

/** One request as the server saw it. */
export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
}

/** A running server. */
export interface StaticServer {
  url: string;
  requests: SeenRequest[];
  faults: Map<string, Fault>;
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1 at a free port. */
export async function startStaticServer(root: string): Promise<StaticServer> {
  const requests: SeenRequest[] = [];
  const faults = new Map<string, Fault>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const seen: SeenRequest = { path, headers: req.headers, status: 0 };
      requests.push(seen);
      const file = normalize(join(root, path));
      if (!file.startsWith(root)) {
        seen.status = 403;
        res.writeHead(403).end();
        return;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) {
        seen.status = 404;
        res.writeHead(404).end('not found');
        return;
      }
      let body = await readFile(file);
      const fault = faults.get(path);
      if (fault === 'http-500') {
        seen.status = 500;
        res.writeHead(500).end('internal error');
        return;
      }
      if (fault === 'corrupt') {
        body = Buffer.from(body);
        for (let i = Math.floor(body.length / 3); i < Math.floor(body.length / 3) + 64 && i < body.length; i++) body[i] ^= 0x5a;
      }
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      const lastModified = info.mtime.toUTCString();
      if (!fault && req.headers['if-none-match'] === etag) {
        seen.status = 304;
        res.writeHead(304, { etag, 'last-modified': lastModified }).end();
        return;
      }
      seen.status = 200;
      res.writeHead(200, { etag, 'last-modified': lastModified, 'content-length': body.length, 'content-type': 'application/octet-stream' });
      if (fault === 'drop') {
        // Half the body, then the connection goes away.
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
        return;
      }
      res.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
