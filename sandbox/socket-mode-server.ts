/**
 * The WebSocket side of Slack's Socket Mode, for the Slack stand-in (slack-api-server.ts): its
 * `apps.connections.open` hands out `url()`s and its HTTP server passes WebSocket upgrades here.
 *
 * What it models (Slack's Socket Mode protocol as @slack/socket-mode speaks it):
 *  - a URL is good for one connection (its ticket); any other upgrade is refused with 401;
 *  - on connect: `{ type: 'hello', num_connections, debug_info, connection_info }`;
 *  - deliver() sends an envelope `{ envelope_id, type, payload, accepts_response_payload, retry_attempt,
 *    retry_reason }` on the newest open connection; redeliver() sends one again with the same
 *    envelope_id and payload and retry_attempt + 1, as Slack does with an envelope it got no ack for;
 *  - every `{ envelope_id, payload? }` the app sends back is recorded as an ack, with its delay;
 *  - disconnect(reason) sends `{ type: 'disconnect', reason }` on every open connection; the app is
 *    expected to close it and open a new one through apps.connections.open.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

export interface SocketAck {
  envelopeId: string;
  /** What the app answered with; an empty ack carries `{}` or nothing. */
  payload: Record<string, unknown> | undefined;
  at: number;
  /** Since the envelope was last sent; null when no envelope with that id was sent. */
  afterMs: number | null;
}

export interface SocketModeStandIn {
  /** A fresh one-connection URL, what apps.connections.open answers. */
  url(): string;
  /** How many connections the app has opened (closed ones included). */
  connectionCount(): number;
  /** Connections open now. */
  openConnections(): number;
  /** Every envelope sent, re-deliveries included, oldest first. */
  envelopes: Envelope[];
  acks: SocketAck[];
  deliver(type: EnvelopeType, payload: Record<string, unknown>): Envelope;
  /** The same envelope again, as Slack re-sends one it got no ack for in time. */
  redeliver(envelope: Envelope, reason?: string): Envelope;
  disconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

const LINK_PATH = '/link/';

/** `origin`: the ws:// origin of the HTTP server that passes its upgrades to handleUpgrade(). */
export function createSocketModeStandIn(origin: () => string, appId: string): SocketModeStandIn {
  const server = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const open: WebSocket[] = [];
  const envelopes: Envelope[] = [];
  const acks: SocketAck[] = [];
  const sentAt = new Map<string, number>();
  let opened = 0;

  function record(data: string): void {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { envelope_id: envelopeId, payload } = message as { envelope_id?: unknown; payload?: unknown };
    if (typeof envelopeId !== 'string') return;
    const at = Date.now();
    const sent = sentAt.get(envelopeId);
    acks.push({
      envelopeId,
      payload: typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined,
      at,
      afterMs: sent === undefined ? null : at - sent,
    });
  }

  function accept(socket: WebSocket): void {
    opened += 1;
    open.push(socket);
    socket.on('message', (data, isBinary) => {
      if (!isBinary) record(data.toString());
    });
    socket.on('close', () => {
      const index = open.indexOf(socket);
      if (index >= 0) open.splice(index, 1);
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: open.length,
        debug_info: { host: 'applink-stand-in', approximate_connection_time: 18060 },
        connection_info: { app_id: appId },
      }),
    );
  }

  function send(envelope: Envelope): Envelope {
    const socket = open.at(-1);
    if (socket === undefined) throw new Error('no Socket Mode connection is open');
    envelopes.push(envelope);
    sentAt.set(envelope.envelope_id, Date.now());
    socket.send(JSON.stringify(envelope));
    return envelope;
  }

  return {
    url() {
      const ticket = randomBytes(16).toString('hex');
      tickets.add(ticket);
      return `${origin()}${LINK_PATH}?ticket=${ticket}&app_id=${appId}`;
    },
    connectionCount: () => opened,
    openConnections: () => open.length,
    envelopes,
    acks,
    deliver(type, payload) {
      // Slack asks for a response payload where the ack can answer the user: slash commands.
      return send({
        envelope_id: randomUUID(),
        type,
        payload,
        accepts_response_payload: type === 'slash_commands',
        retry_attempt: 0,
        retry_reason: '',
      });
    },
    redeliver(envelope, reason = 'timeout') {
      return send({ ...envelope, retry_attempt: envelope.retry_attempt + 1, retry_reason: reason });
    },
    disconnect(reason) {
      const message = JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-stand-in' } });
      for (const socket of open) socket.send(message);
    },
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'ws://127.0.0.1');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== LINK_PATH || !tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      server.handleUpgrade(req, socket, head, accept);
    },
    close() {
      for (const socket of [...open]) socket.terminate();
      server.close();
    },
  };
}
