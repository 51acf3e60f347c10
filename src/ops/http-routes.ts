/**
 * Operational HTTP routes served next to /slack/events: liveness, readiness and Prometheus metrics.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { BotMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function bearerMatches(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface OpsRouteDeps {
  readiness: Readiness;
  metrics: BotMetrics;
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | null;
}

export function opsRoutes(deps: OpsRouteDeps): CustomRoute[] {
  return [
    {
      path: '/healthz',
      method: ['GET'],
      // Liveness: the process serves HTTP. Dependencies belong to readiness, so a Redis outage
      // never gets the bot restarted in a loop.
      handler: (_req, res) => sendJson(res, 200, { status: 'ok' }),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        deps.readiness.check().then(
          (state) =>
            sendJson(
              res,
              state.ready ? 200 : 503,
              state.ready ? { status: 'ready' } : { status: 'not ready', reasons: state.reasons },
            ),
          (error: unknown) => sendJson(res, 503, { status: 'not ready', reasons: [String(error)] }),
        );
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (req, res) => {
        if (deps.metricsToken !== null && !bearerMatches(req, deps.metricsToken)) {
          res.writeHead(401, { 'www-authenticate': 'Bearer' });
          res.end();
          return;
        }
        deps.metrics.render().then(
          ({ contentType, body }) => {
            res.writeHead(200, { 'content-type': contentType });
            res.end(body);
          },
          (error: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`metrics unavailable: ${String(error)}`);
          },
        );
      },
    },
  ];
}
