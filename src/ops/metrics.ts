/**
 * Prometheus metrics (prom-client). One registry per bot instance, so two bots in one process
 * (tests, the sandbox) never share or double-register series. Label values are closed sets chosen
 * by the code (outcomes, action names, error codes), never user input or secrets.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface QueueDepthSource {
  /** Jobs per queue and state, read when Prometheus scrapes. */
  depths(): Promise<Array<{ queue: string; state: string; count: number }>>;
  /** HBR tasks currently followed by poll jobs. */
  trackedTasks(): Promise<number>;
}

export class BotMetrics {
  readonly registry = new Registry();
  readonly commands: Counter<'command' | 'outcome'>;
  readonly decisions: Counter<'outcome'>;
  readonly hbrCalls: Counter<'action' | 'code'>;
  readonly ecsCalls: Counter<'action' | 'code'>;
  readonly instanceOutcomes: Counter<'operation' | 'outcome'>;
  readonly slackErrors: Counter<'method' | 'error'>;
  readonly ackLatency: Histogram<'kind'>;
  readonly hbrLatency: Histogram<'action'>;

  constructor(source: QueueDepthSource) {
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
      async collect() {
        queueDepth.reset();
        for (const { queue, state, count } of await source.depths()) queueDepth.set({ queue, state }, count);
      },
    });
    const trackedTasks = new Gauge({
      name: 'hbr_bot_tracked_tasks',
      help: 'HBR tasks being polled',
      registers,
      async collect() {
        trackedTasks.set(await source.trackedTasks());
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
