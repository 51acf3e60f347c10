/**
 * Operational HTTP routes: liveness (/healthz), readiness (/readyz) and Prometheus metrics
 * (/metrics), and where each is served. Liveness always answers on PORT, beside Slack's requests.
 * With OPS_PORT set, readiness and metrics answer on that listener of their own (ops-server.ts),
 * which need not be reachable from where Slack's requests come; without it they answer on PORT,
 * /metrics then only behind METRICS_TOKEN, since that port faces the internet.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { BotMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';

/** A GET route: its exact path and what answers it. */
export interface OpsRoute {
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

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
  /** OPS_PORT: /readyz and /metrics on a listener of their own; null: on PORT. */
  opsPort: number | null;
  logger: Logger;
}

/** Liveness: the process serves HTTP. Dependencies belong to readiness, so a Redis outage never gets the bot restarted in a loop. */
const liveness: OpsRoute = { path: '/healthz', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) };

function readinessRoute(readiness: Readiness, logger: Logger): OpsRoute {
  return {
    path: '/readyz',
    handler: (_req, res) => {
      readiness.check().then(
        (state) =>
          sendJson(
            res,
            state.ready ? 200 : 503,
            state.ready ? { status: 'ready' } : { status: 'not ready', reasons: state.reasons },
          ),
        (error: unknown) => {
          logger.error({ err: error }, 'readiness check failed');
          sendJson(res, 503, { status: 'not ready', reasons: ['readiness-check-failed'] });
        },
      );
    },
  };
}

function metricsRoute(metrics: BotMetrics, token: string | null, logger: Logger): OpsRoute {
  return {
    path: '/metrics',
    handler: (req, res) => {
      if (token !== null && !bearerMatches(req, token)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer' });
        res.end();
        return;
      }
      metrics.render().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(body);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'metrics could not be rendered');
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics unavailable');
        },
      );
    },
  };
}

/** The routes for PORT, and those for OPS_PORT (none when it is unset). */
export function opsRoutes(deps: OpsRouteDeps): { onPort: OpsRoute[]; onOpsPort: OpsRoute[] } {
  const readiness = readinessRoute(deps.readiness, deps.logger);
  const metrics = metricsRoute(deps.metrics, deps.metricsToken, deps.logger);
  if (deps.opsPort !== null) return { onPort: [liveness], onOpsPort: [readiness, metrics] };
  if (deps.metricsToken === null) {
    // Metrics off is a choice a deployment may make; the line says how to have them.
    deps.logger.info(
      'GET /metrics is not served: set OPS_PORT to serve it on a port of its own, or METRICS_TOKEN to serve it on PORT behind a token',
    );
    return { onPort: [liveness, readiness], onOpsPort: [] };
  }
  return { onPort: [liveness, readiness, metrics], onOpsPort: [] };
}
