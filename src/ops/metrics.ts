/**
 * Prometheus metrics (prom-client). One registry per bot instance, so two bots in one process
 * (tests, the sandbox) never share or double-register series. Label values are closed sets chosen
 * by the code (outcomes, action names, error codes), never user input or secrets.
 */
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the queue gauges show. */
export interface QueueGauges {
  /** Jobs per queue and state. */
  depths: Array<{ queue: string; state: string; count: number }>;
  /** HBR tasks currently followed by poll jobs. */
  trackedTasks: number;
}

/**
 * The queue gauges as last read, refreshed every `everyMs` by `read` (on the workers' connection,
 * never the Slack handlers'): a scrape, or a flood of them, costs Redis nothing and cannot queue
 * commands in front of a click. A refresh still running when the next is due is not doubled.
 */
export class QueueGaugeCache {
  private latest: QueueGauges = { depths: [], trackedTasks: 0 };
  private refreshing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Promise<QueueGauges>,
    private readonly everyMs: number,
    private readonly logger: Logger,
  ) {}

  current(): QueueGauges {
    return this.latest;
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      this.latest = await this.read();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not refresh the queue gauges; /metrics shows the last ones read');
    } finally {
      this.refreshing = false;
    }
  }
}

export class BotMetrics {
  readonly registry = new Registry();
  readonly commands: Counter<'command' | 'outcome'>;
  readonly decisions: Counter<'outcome'>;
  readonly hbrCalls: Counter<'action' | 'code'>;
  readonly ecsCalls: Counter<'action' | 'code'>;
  readonly instanceOutcomes: Counter<'operation' | 'outcome'>;
  readonly slackErrors: Counter<'method' | 'error'>;
  readonly sweepSkipped: Counter;
  readonly ackLatency: Histogram<'kind'>;
  readonly hbrLatency: Histogram<'action'>;

  constructor(gauges: () => QueueGauges) {
    collectDefaultMetrics({ register: this.registry, prefix: 'hbr_bot_' });
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.commands = counter(
      'hbr_bot_commands_total',
      'Slash commands by command and outcome (posted, help, invalid, refused, …)',
      ['command', 'outcome'],
    );
    this.decisions = counter('hbr_bot_decisions_total', 'Request decisions: approved, rejected, withdrawn, expired', [
      'outcome',
    ]);
    this.hbrCalls = counter(
      'hbr_bot_hbr_calls_total',
      'HBR OpenAPI calls by action and result code ("200" for success)',
      ['action', 'code'],
    );
    this.ecsCalls = counter(
      'hbr_bot_ecs_calls_total',
      'ECS OpenAPI calls of the pre-flight look-up by action and result code',
      ['action', 'code'],
    );
    this.instanceOutcomes = counter(
      'hbr_bot_instance_outcomes_total',
      'Per-instance results of finished requests by operation and outcome',
      ['operation', 'outcome'],
    );
    this.slackErrors = counter(
      'hbr_bot_slack_api_errors_total',
      'Slack Web API calls that failed, by method and Slack error code',
      ['method', 'error'],
    );
    this.sweepSkipped = counter(
      'hbr_bot_sweep_skipped_total',
      'Requests the sweep could not read or repair and skipped (each logged with its requestId)',
      [],
    );
    this.ackLatency = new Histogram({
      name: 'hbr_bot_ack_latency_seconds',
      help: 'Time from a Slack request reaching a listener to its ack, by kind (command, action)',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.hbrLatency = new Histogram({
      name: 'hbr_bot_hbr_call_latency_seconds',
      help: 'HBR OpenAPI call latency (one HTTP attempt) by action',
      labelNames: ['action'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const queueDepth = new Gauge({
      name: 'hbr_bot_queue_jobs',
      help: 'BullMQ jobs by queue and state (waiting, delayed, active, failed)',
      labelNames: ['queue', 'state'],
      registers,
      collect() {
        queueDepth.reset();
        for (const { queue, state, count } of gauges().depths) queueDepth.set({ queue, state }, count);
      },
    });
    const trackedTasks = new Gauge({
      name: 'hbr_bot_tracked_tasks',
      help: 'HBR tasks being polled',
      registers,
      collect() {
        trackedTasks.set(gauges().trackedTasks);
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
