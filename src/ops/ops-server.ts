/**
 * The listener of OPS_PORT: /readyz and /metrics (http-routes.ts) on a port of their own, so they
 * can stay inside the cluster while PORT takes Slack's requests from the internet. GET only; any
 * other path or method gets 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpsRoute } from './http-routes.js';

export interface OpsServer {
  /** The port bound (OPS_PORT=0 binds any free one). */
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(routes: readonly OpsRoute[], port: number, host?: string): Promise<OpsServer> {
  const server = createServer((req, res) => {
    let path: string | null;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      path = null;
    }
    const route = req.method === 'GET' ? routes.find((r) => r.path === path) : undefined;
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    route.handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
