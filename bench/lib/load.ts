/**
 * Closed-loop load: `concurrency` senders, each sending its next signed request as soon as the
 * previous answer has fully arrived, over keep-alive HTTP on loopback. Latency is measured from the
 * request being written to the last byte of the answer (for Bolt in HTTP mode, that is the ack).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { importFromCheckout } from './src-path.js';

const { slackRequestHeaders } =
  await importFromCheckout<typeof import('../../sandbox/slack-requests.js')>('sandbox/slack-requests.js');

export interface LoadResult {
  /** Latency of every 2xx answer, ms. */
  latencies: number[];
  /** HTTP status → count (network errors under 0). */
  statuses: Record<string, number>;
  elapsedMs: number;
  requestsPerSecond: number;
}

export interface LoadOptions {
  url: string;
  signingSecret: string;
  concurrency: number;
  count: number;
  /** Form body and content type of request `i`. */
  body: (i: number) => { body: string; contentType: string };
}

function send(
  agent: Agent,
  url: URL,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        res.on('error', () => resolve({ status: -1, ms: performance.now() - started }));
      },
    );
    req.on('error', () => resolve({ status: -1, ms: performance.now() - started }));
    req.end(body);
  });
}

export async function closedLoop(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  const sender = async () => {
    for (;;) {
      const i = next++;
      if (i >= options.count) return;
      const { body, contentType } = options.body(i);
      const headers = slackRequestHeaders(options.signingSecret, body, contentType);
      const { status, ms } = await send(agent, url, body, headers);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) latencies.push(ms);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latencies, statuses, elapsedMs, requestsPerSecond: (options.count / elapsedMs) * 1000 };
}

/** Open loop: request i is sent at start + i·durationMs/count, whether or not earlier ones were answered. */
export async function paced(options: Omit<LoadOptions, 'concurrency'> & { durationMs: number }): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const wait = started + (i * options.durationMs) / options.count - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const { body, contentType } = options.body(i);
    const headers = slackRequestHeaders(options.signingSecret, body, contentType);
    sends.push(
      send(agent, url, body, headers).then(({ status, ms }) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) latencies.push(ms);
      }),
    );
  }
  await Promise.all(sends);
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latencies, statuses, elapsedMs, requestsPerSecond: (options.count / elapsedMs) * 1000 };
}
