/**
 * Everything the Slack listeners are handed, as fakes: the configuration from an environment (as
 * loadConfig reads it), the deps the composition root would build (bot.ts), and the fakes
 * themselves to script and inspect.
 */
import { loadConfig } from '../../../src/config.js';
import { hbrCommand } from '../../../src/slack/listeners/commands/hbr-command.js';
import type { ListenerDeps } from '../../../src/slack/listeners/deps.js';
import { SLASH_COMMANDS } from '../../../src/slack/messages/action-ids.js';
import type { CommandName } from '../../../src/slack/slash-command-parser.js';
import { APPROVER } from '../request-fixtures.js';
import { FakeActivityRecorder } from './activity-recorder.js';
import { FakeAuditTrail } from './audit-trail.js';
import { FakeSlackAnswers, slashCommand } from './bolt-arguments.js';
import { FakeClock } from './clock.js';
import { FakeCommandBudget } from './command-budget.js';
import { FakeHbrClient } from './hbr-client.js';
import { FakeJobQueues } from './job-queues.js';
import { silentLogger } from './logger.js';
import { FakeRequestPublisher } from './request-publisher.js';
import { FakeRequestStore } from './request-store.js';
import { FakeSlackDirectory } from './slack-directory.js';

/** A user group of approvers, and its one member. */
const APPROVER_GROUP = 'S0APPROVERS';
export const GROUP_APPROVER = 'U0GROUPMEMBER';

/** `env` on top of a valid configuration whose approvers are APPROVER and APPROVER_GROUP. */
export function fakeListenerWorld(env: Record<string, string> = {}) {
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-unit-test',
    SLACK_SIGNING_SECRET: 'unit-test-signing-secret',
    HBR_APPROVERS: `${APPROVER},${APPROVER_GROUP}`,
    HBR_REQUESTERS: '*',
    HBR_ALLOWED_CHANNELS: '*',
    ...env,
  });
  const clock = new FakeClock();
  const store = new FakeRequestStore();
  const queues = new FakeJobQueues();
  const publisher = new FakeRequestPublisher(store, config.access.approvalChannel);
  const hbr = new FakeHbrClient();
  const directory = new FakeSlackDirectory({ [APPROVER_GROUP]: [GROUP_APPROVER] });
  const activity = new FakeActivityRecorder();
  const auditTrail = new FakeAuditTrail();
  const commandBudget = new FakeCommandBudget(Number(env.HBR_COMMANDS_PER_USER_PER_MINUTE ?? Number.POSITIVE_INFINITY));
  const deps: ListenerDeps = {
    config,
    store,
    queues,
    publisher,
    hbr,
    directory,
    activity,
    auditTrail,
    commandBudget,
    now: clock.now,
    logger: silentLogger(),
  };
  /**
   * Delivers `<slash command for meaning> text`, typed by `user` (in COMMAND_CHANNEL unless
   * `channel` says otherwise), to the slash command listener as Bolt would; returns its answers.
   */
  async function deliverCommand(
    meaning: CommandName,
    text: string,
    user: string,
    channel?: string,
  ): Promise<FakeSlackAnswers> {
    const answers = new FakeSlackAnswers();
    await hbrCommand(
      deps,
      meaning,
    )(
      slashCommand(answers, text, {
        command: SLASH_COMMANDS[meaning],
        user_id: user,
        ...(channel === undefined ? {} : { channel_id: channel }),
      }),
    );
    return answers;
  }
  return {
    config,
    clock,
    store,
    queues,
    publisher,
    hbr,
    directory,
    activity,
    auditTrail,
    commandBudget,
    deps,
    deliverCommand,
  };
}
