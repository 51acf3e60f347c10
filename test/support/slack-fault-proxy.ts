/**
 * An HTTP proxy in front of the Slack stand-in's Web API that answers chosen calls with a 5xx itself
 * (the stand-in only fails with `ok:false` or 429), so tests can see what the bot's WebClient does
 * with a Slack outage. Everything else is forwarded unchanged.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackFaultProxy {
  /** Give this to the bot as SLACK_API_URL. */
  apiUrl: string;
  /** The next `count` calls of `method` are answered with HTTP `status` and an HTML body. */
  failNext(method: string, status: number, count?: number): void;
  /** Calls answered with a fault, in order. */
  served: Array<{ method: string; status: number; at: number }>;
  /**
   * Sees every call before it is forwarded; 'drop' cuts the connection without forwarding it (a
   * request Slack never got). Default: forward everything.
   */
  intercept: (method: string, body: string) => 'forward' | 'drop';
  close(): Promise<void>;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startSlackFaultProxy(targetApiUrl: string): Promise<SlackFaultProxy> {
  const pending = new Map<string, number[]>();
  const served: SlackFaultProxy['served'] = [];
  const target = new URL(targetApiUrl);
  const server = createServer((req, res) => {
    void (async () => {
      const method = /\/api\/([A-Za-z0-9_.]+)/.exec(req.url ?? '')?.[1] ?? '';
      const body = await readAll(req);
      if (proxy.intercept(method, body.toString('utf8')) === 'drop') {
        req.socket.destroy();
        return;
      }
      const status = pending.get(method)?.shift();
      if (status !== undefined) {
        served.push({ method, status, at: Date.now() });
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end(`<html><body>${status} from the fault proxy</body></html>`);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'content-length' && name !== 'connection')
          headers[name] = value;
      }
      // The proxy's paths are the stand-in's (/api/<method>?…): only the origin changes.
      const forwarded = await fetch(new URL(req.url ?? '/', target.origin), {
        method: req.method ?? 'POST',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const answer = Buffer.from(await forwarded.arrayBuffer());
      const out: Record<string, string> = {
        'content-type': forwarded.headers.get('content-type') ?? 'application/json',
      };
      const retryAfter = forwarded.headers.get('retry-after');
      if (retryAfter !== null) out['retry-after'] = retryAfter;
      res.writeHead(forwarded.status, out);
      res.end(answer);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: SlackFaultProxy = {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    served,
    intercept: () => 'forward',
    failNext(method, status, count = 1) {
      pending.set(method, [...(pending.get(method) ?? []), ...Array.from({ length: count }, () => status)]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return proxy;
}
