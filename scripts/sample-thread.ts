/**
 * The sample thread of docs/architecture.md, rendered by the bot's own message builders and shown
 * as plain text, the way a Slack client (or the sandbox page) draws it: mentions as @names, emoji
 * as glyphs, dates in the UTC fallback the bot writes. `npm run docs` writes it into the doc, so the
 * sample cannot drift from what the bot says.
 */
import { combineFacts, type InstanceDescription } from '../src/domain/preflight.js';
import { type HbrRequest, newRequest } from '../src/domain/request.js';
import type { Block, SlackMessage } from '../src/slack/messages/blocks.js';
import { progressMessage } from '../src/slack/messages/progress.js';
import { type ApprovalRules, requestMessage } from '../src/slack/messages/request.js';
import { finalResultMessage } from '../src/slack/messages/result.js';

const PEOPLE: Readonly<Record<string, string>> = { U0DANA0001: 'dana', U0LEE00002: 'lee', U0SAM00003: 'sam' };
const RULES: ApprovalRules = { approvers: ['U0LEE00002', 'U0SAM00003'], allowSelfApproval: false };

/** The emoji the bot's messages use, as a Slack client draws them. */
const EMOJI: Readonly<Record<string, string>> = {
  white_check_mark: '✅',
  warning: '⚠️',
  x: '❌',
  no_entry_sign: '🚫',
  no_entry: '⛔',
  grey_question: '❔',
  large_green_circle: '🟢',
  raised_hand: '✋',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  alarm_clock: '⏰',
  clock3: '🕒',
  gear: '⚙️',
  heavy_minus_sign: '➖',
  leftwards_arrow_with_hook: '↩️',
};

const CREATED = Date.UTC(2026, 10, 27, 22, 40, 0);
const MINUTE = 60_000;
const [WEB, BUILD, BATCH] = ['i-bp1aaaaaaaaaaaaaaaa1', 'i-bp1aaaaaaaaaaaaaaaa2', 'i-bp1aaaaaaaaaaaaaaaa3'] as const;

function described(instanceId: string, instanceName: string, status: string, windows = false): InstanceDescription {
  return {
    instanceId,
    instanceName,
    status,
    osType: windows ? 'windows' : 'linux',
    osName: windows ? 'Windows Server 2022 Datacenter 64-bit' : 'Alibaba Cloud Linux 3.2104 LTS 64 bit',
    instanceType: 'ecs.g7.large',
    tags: [{ key: 'app', value: instanceName.split('-')[0] ?? '' }],
  };
}

/** The tag keys the sample deployment shows in the pre-flight (HBR_PREFLIGHT_TAGS=app). */
const SAMPLE_TAG_KEYS = ['app'];

/** @dana's request for three instances, as the pre-flight left it: one of them stopped. */
function pendingSample(): HbrRequest {
  const request = newRequest({
    id: 'rq4mz7k2xw3ab',
    operation: 'install',
    requesterId: 'U0DANA0001',
    originChannel: 'C0HBROPS01',
    region: 'cn-hangzhou',
    instanceIds: [WEB, BUILD, BATCH],
    now: CREATED,
    approvalTtlMs: 24 * 60 * MINUTE,
  });
  const instances = combineFacts(
    request.instanceIds,
    [
      described(WEB, 'web-01', 'Running'),
      described(BUILD, 'build-01', 'Running', true),
      described(BATCH, 'batch-01', 'Stopped'),
    ],
    [
      { instanceId: WEB, running: true, version: '2.2.3.857' },
      { instanceId: BUILD, running: true, version: '2.1.3.857' },
      { instanceId: BATCH, running: false, version: '2.2.3.857' },
    ],
    SAMPLE_TAG_KEYS,
  );
  return {
    ...request,
    message: { channel: 'C0HBROPS01', ts: '1795819200.000100' },
    preflight: { outcome: 'checked', checkedAt: CREATED + 2000, instances, cloudAssistantUnavailable: null },
  };
}

/** The same request after @lee approved it: HBR refused the stopped one, the install failed on build-01. */
function finishedSample(): HbrRequest {
  const pending = pendingSample();
  const submittedAt = CREATED + MINUTE + 1000;
  return {
    ...pending,
    status: 'finished',
    decision: { outcome: 'approved', by: 'U0LEE00002', at: CREATED + MINUTE },
    submissions: [
      {
        index: 0,
        instanceIds: [WEB, BUILD, BATCH],
        taskId: 't-0004xyz',
        hbrRequestId: '473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E',
        instances: [
          { instanceId: WEB, valid: true, errorCode: '' },
          { instanceId: BUILD, valid: true, errorCode: '' },
          { instanceId: BATCH, valid: false, errorCode: 'InstanceNotRunning' },
        ],
        submittedAt,
      },
    ],
    tasks: [
      {
        taskId: 't-0004xyz',
        phase: 'completed',
        progress: 100,
        results: [
          { instanceId: WEB, clientId: 'c-000web01', clientStatus: 'ACTIVATED', errorCode: '' },
          {
            instanceId: BUILD,
            clientId: 'c-00build01',
            clientStatus: 'INSTALL_FAILED',
            errorCode: 'InstallClientFailed',
          },
        ],
        polledAt: submittedAt + 3 * MINUTE,
        polls: 6,
      },
    ],
    finishedAt: submittedAt + 3 * MINUTE,
    progressTs: '1795819261.000200',
    finalTs: '1795819441.000300',
  };
}

/** mrkdwn as a client shows it: mentions, dates and links resolved, emphasis and code marks dropped. */
function shown(mrkdwn: string): string {
  return mrkdwn
    .replace(/<@([UW][A-Z0-9]+)>/g, (_m, id: string) => `@${PEOPLE[id] ?? id}`)
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<[^|>]+\|([^>]*)>/g, '$1')
    .replace(/```\n?/g, '')
    .replace(/`/g, '')
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => {
      const glyph = EMOJI[name];
      if (glyph === undefined) throw new Error(`sample thread: no glyph for ${whole}`);
      return glyph;
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function blockLines(block: Block): string[] {
  switch (block.type) {
    case 'header':
      return [block.text.text];
    case 'section':
      if (block.fields !== undefined) return [block.fields.map((f) => shown(f.text).replace('\n', ' ')).join(' · ')];
      return shown(block.text?.text ?? '').split('\n');
    case 'context':
      return [block.elements.map((e) => shown(e.text)).join(' ')];
    case 'actions': {
      const buttons = block.elements.map((b) => `[${b.text.text}]`).join('  ');
      const asks = block.elements
        .filter((b) => b.confirm !== undefined)
        .map((b) => `(${b.text.text} asks: "${b.confirm?.text.text}")`);
      return [[buttons, ...asks].join('        ')];
    }
  }
}

/** One message: the bot's name, then its lines; a thread reply indented under its parent. */
function rendered(message: SlackMessage, reply: boolean): string[] {
  const [first = '', ...rest] = message.blocks.flatMap(blockLines);
  const lead = reply ? '  └ hbr-bot   ' : 'hbr-bot   ';
  const indent = ' '.repeat(lead.length);
  return [`${lead}${first}`, ...rest.map((line) => `${indent}${line}`)];
}

function fenced(lines: readonly string[]): string {
  return ['```', ...lines, '```'].join('\n');
}

/** The request message a moment after it was posted, with the pre-flight's details. */
export function samplePending(): string {
  return fenced(rendered(requestMessage(pendingSample(), { ...RULES, now: CREATED + 2000 }), false));
}

/** The request message, its progress reply and its final reply once the install ended. */
export function sampleFinished(): string {
  const request = finishedSample();
  return fenced([
    ...rendered(requestMessage(request, RULES), false),
    ...rendered(progressMessage(request), true),
    ...rendered(finalResultMessage(request), true),
  ]);
}
