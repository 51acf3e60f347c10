/**
 * The pure pre-flight: per-instance verdicts, counts, facts from ECS answers, and how the request
 * message renders them (Block Kit limits included).
 */
import { describe, expect, it } from 'vitest';
import { blockKitProblems } from '../../../sandbox/block-kit-limits.js';
import {
  combineFacts,
  type InstanceFacts,
  instanceReadiness,
  type PreflightResult,
  preflightCounts,
} from '../../../src/domain/preflight.js';
import type { HbrRequest } from '../../../src/domain/request.js';
import { LIMITS } from '../../../src/slack/messages/blocks.js';
import { preflightCountLine, readinessWords, requestMessage } from '../../../src/slack/messages/request.js';
import { APPROVER, pendingRequest, T0, withStatus } from '../../support/request-fixtures.js';

function facts(instanceId: string, overrides: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    instanceId,
    found: true,
    instanceName: `web-${instanceId.slice(-4)}`,
    status: 'Running',
    osType: 'linux',
    osName: 'Alibaba Cloud Linux 3.2104 LTS 64 bit',
    instanceType: 'ecs.g7.large',
    tags: [{ key: 'app', value: 'web' }],
    cloudAssistant: { running: true, version: '2.2.3.857' },
    ...overrides,
  };
}

const missing = (instanceId: string): InstanceFacts => combineFacts([instanceId], [], [], [])[0] as InstanceFacts;

function checked(request: HbrRequest, byId: Record<string, Partial<InstanceFacts> | 'missing'> = {}): HbrRequest {
  const preflight: PreflightResult = {
    outcome: 'checked',
    checkedAt: T0 + 1000,
    instances: request.instanceIds.map((id) => {
      const override = byId[id];
      return override === 'missing' ? missing(id) : facts(id, override);
    }),
    cloudAssistantUnavailable: null,
  };
  return { ...request, preflight };
}

function render(request: HbrRequest) {
  return requestMessage(request, { approvers: [APPROVER], allowSelfApproval: false });
}

function text(request: HbrRequest): string {
  const message = render(request);
  return `${message.text}\n${JSON.stringify(message.blocks)}`;
}

describe('instanceReadiness', () => {
  it.each<[string, Partial<InstanceFacts> | 'missing', string, string]>([
    ['running with Cloud Assistant', {}, 'ready', 'ready'],
    [
      'stopped',
      { status: 'Stopped', cloudAssistant: { running: false, version: '' } },
      'refused',
      'stopped — will be refused',
    ],
    ['stopping', { status: 'Stopping' }, 'refused', 'stopping — will be refused'],
    ['not found', 'missing', 'refused', 'not found in cn-shanghai — will be refused'],
    [
      'without Cloud Assistant',
      { cloudAssistant: { running: false, version: '2.2.0' } },
      'refused',
      'Cloud Assistant not running — will be refused',
    ],
    ['starting', { status: 'Starting' }, 'check', 'starting — refused unless it is running when approved'],
    ['pending', { status: 'Pending' }, 'check', 'pending — refused unless it is running when approved'],
    ['in a state ECS adds later', { status: 'Hibernating' }, 'check', 'state `Hibernating` — HBR needs it running'],
    [
      'with an unknown agent',
      { cloudAssistant: null },
      'check',
      'Cloud Assistant state unknown — HBR needs it running',
    ],
  ])('%s', (_, override, level, words) => {
    const id = 'i-bp1000000000000000001';
    const instance = override === 'missing' ? missing(id) : facts(id, override);
    const readiness = instanceReadiness(instance);
    expect(readiness.level).toBe(level);
    expect(readinessWords(readiness, instance, 'cn-shanghai')).toBe(words);
  });

  it('a stopped instance is "stopped" whatever its agent says (the state is the first thing to fix)', () => {
    expect(instanceReadiness(facts('i-bp1000000000000000001', { status: 'Stopped' })).verdict).toBe('stopped');
  });
});

describe('counts', () => {
  it('says "18 of 20 ready, 2 will be refused", "3 of 3 ready", with the ones to check', () => {
    const line = (ready: number, refused: number, check: number) => preflightCountLine({ ready, refused, check });
    expect(line(18, 2, 0)).toBe('18 of 20 ready, 2 will be refused');
    expect(line(3, 0, 0)).toBe('3 of 3 ready');
    expect(line(1, 0, 0)).toBe('1 of 1 ready');
    expect(line(0, 1, 2)).toBe('0 of 3 ready, 1 will be refused, 2 to check');
  });

  it('counts each level', () => {
    const all = [
      facts('i-bp1000000000000000001'),
      facts('i-bp1000000000000000002', { status: 'Stopped' }),
      missing('i-bp1000000000000000003'),
      facts('i-bp1000000000000000004', { cloudAssistant: null }),
    ];
    expect(preflightCounts(all)).toEqual({ ready: 1, refused: 2, check: 1 });
  });
});

describe('combineFacts', () => {
  it('gives one entry per requested instance, in the request order, found or not', () => {
    const [a, b, c] = ['i-bp1000000000000000001', 'i-bp1000000000000000002', 'i-bp1000000000000000003'];
    const described = (id: string) => ({
      instanceId: id,
      instanceName: id.slice(-1),
      status: 'Running',
      osType: 'linux',
      osName: '',
      instanceType: 't',
      tags: [],
    });
    const combined = combineFacts(
      [a, b, c],
      [described(c), described(a)],
      [{ instanceId: a, running: true, version: '2' }],
      [],
    );
    expect(combined.map((f) => [f.instanceId, f.found, f.cloudAssistant])).toEqual([
      [a, true, { running: true, version: '2' }],
      [b, false, null],
      [c, true, null],
    ]);
    // Tags only by the allowlist's keys (HBR_PREFLIGHT_TAGS): the others are never kept.
    const tagged = {
      ...described(a),
      tags: [
        { key: 'app', value: 'web' },
        { key: 'owner', value: 'x' },
      ],
    };
    expect(combineFacts([a], [tagged], null, [])[0]?.tags).toEqual([]);
    expect(combineFacts([a], [tagged], null, ['owner'])[0]?.tags).toEqual([{ key: 'owner', value: 'x' }]);
    // The agent look-up failed: every agent unknown.
    expect(combineFacts([a], [described(a)], null, [])[0]?.cloudAssistant).toBeNull();
  });
});

describe('the request message with pre-flight details', () => {
  const request = pendingRequest(4);
  const [ok, stopped, gone, noAgent] = request.instanceIds as [string, string, string, string];
  const flagged = checked(request, {
    [stopped]: { status: 'Stopped', cloudAssistant: { running: false, version: '' } },
    [gone]: 'missing',
    [noAgent]: { cloudAssistant: { running: false, version: '2.2.0' } },
  });

  it('keeps the plain list until ECS answered', () => {
    expect(text(request)).not.toContain('Pre-flight');
    expect(text(request)).toContain(`*Instances:* \`${ok}\``);
  });

  it('lists each instance with name, OS, state and Cloud Assistant, flagged ones first, with the count', () => {
    const t = text(flagged);
    expect(t).toContain('*Pre-flight (ECS, before approval):* 1 of 4 ready, 3 will be refused');
    expect(t).toContain(
      `:large_green_circle: \`web-${ok.slice(-4)}\` \`${ok}\` · \`Alibaba Cloud Linux 3.2104 LTS 64 bit\` · \`Running\` · Cloud Assistant \`2.2.3.857\` running · \`app=web\``,
    );
    expect(t).toContain(
      `:warning: \`web-${stopped.slice(-4)}\` \`${stopped}\` · \`Alibaba Cloud Linux 3.2104 LTS 64 bit\` · \`Stopped\` · Cloud Assistant not running · \`app=web\` — *stopped — will be refused*`,
    );
    expect(t).toContain(`:warning: \`${gone}\` — *not found in cn-hangzhou — will be refused*`);
    expect(t).toContain('Cloud Assistant not running — will be refused');
    expect(t.indexOf(stopped)).toBeLessThan(t.indexOf(`web-${ok.slice(-4)}\` \`${ok}\``));
    expect(blockKitProblems(render(flagged))).toEqual([]);
  });

  it('keeps Approve, and its confirm dialog and the notification say what will be refused', () => {
    const message = render(flagged);
    expect(message.text).toContain('Pre-flight: 1 of 4 ready, 3 will be refused.');
    const buttons = message.blocks.find((b) => b.type === 'actions');
    expect(JSON.stringify(buttons)).toContain('hbr_approve');
    expect(JSON.stringify(buttons)).toContain('Pre-flight: 1 of 4 ready, 3 will be refused.');
    // Nothing flagged: nothing added.
    expect(render(checked(request)).text).not.toContain('Pre-flight');
  });

  it('keeps the details once decided, without the buttons', () => {
    const decided = withStatus(flagged, 'rejected');
    expect(text(decided)).toContain('stopped — will be refused');
    expect(JSON.stringify(render(decided).blocks)).not.toContain('hbr_approve');
  });

  it('says why the details are unavailable, keeping the plain list', () => {
    const unavailable: HbrRequest = {
      ...request,
      preflight: {
        outcome: 'unavailable',
        checkedAt: T0,
        code: 'Forbidden.RAM',
        reason: "the AccessKey's RAM identity lacks ecs:DescribeInstances (optional; see README)",
      },
    };
    const t = text(unavailable);
    expect(t).toContain(
      "ECS details unavailable: the AccessKey's RAM identity lacks ecs:DescribeInstances (optional; see README)",
    );
    expect(t).toContain(`\`${ok}\``);
    expect(JSON.stringify(render(unavailable).blocks)).toContain('hbr_approve');
  });

  it('shows what ECS says as literal text: no markup, emoji or link from a name, OS, state or tag', () => {
    // Whoever may edit an instance's name or tags could otherwise add a fake "ready" line or a link.
    const hostile = [
      '*ready* :white_check_mark: ~x~ _y_ https://evil.example/approve',
      'Linux :large_green_circle: <https://evil.example|ok> www.evil.example',
      'Running`*bold*`',
      'http://evil.example/state',
      'env=*prod* :tada:',
    ];
    const message = render(
      checked(request, {
        [ok]: {
          instanceName: hostile[0],
          osName: hostile[1],
          cloudAssistant: { running: true, version: hostile[4] ?? '' },
          tags: [{ key: 'owner', value: hostile[4] ?? '' }],
        },
        [stopped]: { status: hostile[3] },
        [noAgent]: { instanceName: hostile[2] },
      }),
    );
    expect(blockKitProblems(message)).toEqual([]);
    const mrkdwn = JSON.stringify(message).replace(/\\n/g, '\n');
    // Outside code spans nothing ECS said is left for Slack to format.
    const outsideCode = mrkdwn.replace(/```[^`]*```/g, '').replace(/`[^`]*`/g, '');
    for (const fragment of [
      '*ready*',
      ':white_check_mark:',
      '~x~',
      '_y_',
      'evil.example',
      '*bold*',
      ':tada:',
      '*prod*',
    ])
      expect(outsideCode, fragment).not.toContain(fragment);
    expect(mrkdwn).toContain('`*ready* :white_check_mark: ~x~ _y_ https://evil.example/approve`');
    expect(mrkdwn).toContain('`Runningˋ*bold*ˋ`');
    expect(mrkdwn).toContain('state `http://evil.example/state` — HBR needs it running');
  });

  it('escapes what ECS says (names are user input)', () => {
    const t = text(
      checked(request, { [ok]: { instanceName: '<!channel> *db*', tags: [{ key: 'owner', value: '<@U123>' }] } }),
    );
    expect(t).not.toContain('<!channel>');
    expect(t).not.toContain('<@U123>');
  });

  it('stays within Block Kit limits for the largest requests, flagged ones shown first', () => {
    const big = pendingRequest(200);
    const overrides = Object.fromEntries(
      big.instanceIds.map((id, i) => [
        id,
        i % 3 === 0
          ? ({ status: 'Stopped', instanceName: `${'long-name-'.repeat(12)}${i}` } as Partial<InstanceFacts>)
          : {},
      ]),
    );
    const message = render(checked(big, overrides));
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    const t = JSON.stringify(message.blocks);
    expect(t).toContain('133 of 200 ready, 67 will be refused');
    expect(t).toContain('hbr_approve');
    // Every flagged instance that fits is listed before any ready one; what does not fit is counted.
    expect(t.indexOf(big.instanceIds[0] ?? '')).toBeLessThan(
      t.indexOf('Ready (133)') === -1 ? Infinity : t.indexOf('Ready (133)'),
    );
    const shown = big.instanceIds.filter((id) => t.includes(id)).length;
    const omitted = /…and (\d+) instances more not shown/.exec(t);
    expect(shown + Number(omitted?.[1] ?? 0)).toBe(200);
  });
});

it('combineFacts gives an instance ECS did not return blank facts and no Cloud Assistant state', () => {
  expect(combineFacts(['i-missing01'], [], [], [])).toEqual([
    {
      instanceId: 'i-missing01',
      found: false,
      instanceName: '',
      status: '',
      osType: '',
      osName: '',
      instanceType: '',
      tags: [],
      cloudAssistant: null,
    },
  ]);
});
