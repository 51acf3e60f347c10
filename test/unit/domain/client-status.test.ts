import { describe, expect, it } from 'vitest';
import { type BackupClientState, clientStates, compareVersions } from '../../../src/domain/client-status.js';
import { formatDuration, timeAgo } from '../../../src/slack/messages/durations.js';
import { CLIENT_STATUS_SENTENCES } from '../../../src/slack/messages/hbr-sentences.js';
import {
  clientStatuses,
  clientStatusWords,
  countClientStatuses,
  NO_CLIENT_HINT,
} from '../../../src/slack/messages/status.js';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const MINUTE = 60_000;

function client(instanceId: string, fields: Partial<BackupClientState> = {}): BackupClientState {
  return {
    clientId: `c-${instanceId.slice(2)}`,
    instanceId,
    instanceName: '',
    status: 'ACTIVATED',
    clientVersion: '2.14.0',
    maxClientVersion: '2.14.0',
    lastHeartBeatTime: NOW - 5 * MINUTE,
    ...fields,
  };
}

describe('durations', () => {
  it.each<[number | null, string]>([
    [NOW - 10_000, 'just now'],
    [NOW + 90_000, 'just now'],
    [NOW - 3 * MINUTE, '3 minutes ago'],
    [NOW - 90 * MINUTE, '1 hour 30 minutes ago'],
    [NOW - 2 * 24 * 60 * MINUTE, '2 days ago'],
    [null, 'never'],
    [Number.NaN, 'never'],
    [0, 'never'],
  ])('timeAgo(%j) is %j', (then, words) => {
    expect(timeAgo(then, NOW)).toBe(words);
  });

  it('formatDuration is the one the messages use', () => {
    expect(formatDuration(25 * MINUTE)).toBe('25 minutes');
  });
});

describe('client status words and versions', () => {
  it('says protected for ACTIVATED, the status in words for the others, and never guesses', () => {
    expect(clientStatusWords('ACTIVATED')).toBe('protected');
    expect(clientStatusWords('INSTALL_FAILED')).toBe('install failed');
    expect(clientStatusWords('NOT_INSTALLED')).toBe('not installed');
    expect(clientStatusWords('UNKNOWN')).toBe('unknown');
    expect(clientStatusWords('HIBERNATING')).toBe('unrecognised status');
    expect(clientStatusWords('constructor')).toBe('unrecognised status');
  });

  it.each<[string, string, number | null]>([
    ['2.13.2', '2.14.0', -1],
    ['2.14.0', '2.14.0', 0],
    ['2.14', '2.14.0', 0],
    ['2.10.0', '2.9.9', 1],
    ['v2.9.1', '2.14.0', -1],
    ['', '2.14.0', null],
    ['2.x', '2.14.0', null],
  ])('compareVersions(%j, %j) has the sign of %j', (a, b, sign) => {
    const result = compareVersions(a, b);
    expect(result === null ? null : Math.sign(result)).toBe(sign);
  });
});

describe('clientStatuses', () => {
  it('gives one entry per instance asked about, in order, with a problem and its hint when something is wrong', () => {
    const statuses = clientStatuses(
      ['i-aaaaaaaa1', 'i-aaaaaaaa2', 'i-aaaaaaaa3', 'i-aaaaaaaa4', 'i-aaaaaaaa5', 'i-aaaaaaaa6'],
      [
        client('i-aaaaaaaa6', { status: 'WEIRD' }),
        client('i-aaaaaaaa1'),
        client('i-aaaaaaaa2', { clientVersion: '2.13.2' }),
        client('i-aaaaaaaa3', { status: 'INSTALL_FAILED', lastHeartBeatTime: null }),
        client('i-aaaaaaaa4', { status: 'UPGRADING' }),
        client('i-zzzzzzzz9'),
      ],
      NOW,
    );
    expect(statuses.map((s) => [s.instanceId, s.health, s.words])).toEqual([
      ['i-aaaaaaaa1', 'protected', 'protected'],
      ['i-aaaaaaaa2', 'protected', 'protected'],
      ['i-aaaaaaaa3', 'problem', 'install failed'],
      ['i-aaaaaaaa4', 'busy', 'upgrading'],
      ['i-aaaaaaaa5', 'no_client', 'no backup client'],
      ['i-aaaaaaaa6', 'unrecognised', 'unrecognised status'],
    ]);
    expect(statuses[0]).toMatchObject({ outdated: false, problem: null, heartbeat: 'last heartbeat 5 minutes ago' });
    expect(statuses[1]).toMatchObject({
      outdated: true,
      latestVersion: '2.14.0',
      problem: { label: 'outdated client' },
    });
    expect(statuses[2]).toMatchObject({
      heartbeat: 'no heartbeat reported',
      problem: { label: 'install failed', hint: CLIENT_STATUS_SENTENCES.INSTALL_FAILED },
    });
    expect(statuses[3]?.problem).toBeNull();
    expect(statuses[4]).toMatchObject({ status: '', heartbeat: null, problem: { hint: NO_CLIENT_HINT } });
    expect(statuses[5]?.problem?.hint).toMatch(/"WEIRD", which hbr-bot does not know/);
  });

  it('prefers an installed client, then the latest heard from, when HBR lists several for one instance', () => {
    const [status] = clientStatuses(
      ['i-aaaaaaaa1'],
      [
        client('i-aaaaaaaa1', { clientId: 'c-old', status: 'NOT_INSTALLED', lastHeartBeatTime: NOW }),
        client('i-aaaaaaaa1', { clientId: 'c-stale', status: 'STOPPED', lastHeartBeatTime: NOW - 60 * MINUTE }),
        client('i-aaaaaaaa1', { clientId: 'c-new', status: 'ACTIVATED', lastHeartBeatTime: NOW - MINUTE }),
      ],
      NOW,
    );
    expect(status?.health).toBe('protected');
  });

  it('counts by health first, then by words', () => {
    const statuses = clientStatuses(
      ['i-aaaaaaaa1', 'i-aaaaaaaa2', 'i-aaaaaaaa3', 'i-aaaaaaaa4'],
      [
        client('i-aaaaaaaa2', { status: 'STOPPED' }),
        client('i-aaaaaaaa3'),
        client('i-aaaaaaaa4', { status: 'STOPPED' }),
      ],
      NOW,
    );
    expect(countClientStatuses(statuses)).toEqual([
      { health: 'protected', words: 'protected', count: 1, outdated: 0 },
      { health: 'problem', words: 'stopped', count: 2, outdated: 0 },
      { health: 'no_client', words: 'no backup client', count: 1, outdated: 0 },
    ]);
  });
});

describe('compareVersions', () => {
  it.each([
    [' V2.1 ', '2.1', 0],
    ['1.2', '1', 1],
    ['1', '1.0.0', 0],
    ['2.13.9', '2.14', -1],
    ['1.v2', '1.2', null],
    ['2.x1', '2.1', null],
    ['abc', '1', null],
    ['1', '', null],
  ] as const)('%j against %j is %j', (a, b, expected) => {
    const result = compareVersions(a, b);
    expect(result === null ? null : Math.sign(result)).toBe(expected);
  });
});

describe('clientStates', () => {
  it('gives an instance without a client no name, status, versions or heartbeat', () => {
    expect(clientStates(['i-aaaaaaaa1'], [])).toEqual([
      {
        instanceId: 'i-aaaaaaaa1',
        instanceName: '',
        health: 'no_client',
        status: '',
        version: '',
        latestVersion: '',
        outdated: false,
        lastHeartBeatTime: null,
      },
    ]);
  });

  it('among installed clients keeps the latest heard from, the first listed on a tie', () => {
    const latestFirst = [
      client('i-aaaaaaaa1', { status: 'ACTIVATED', lastHeartBeatTime: NOW }),
      client('i-aaaaaaaa1', { status: 'STOPPED', lastHeartBeatTime: NOW - MINUTE }),
    ];
    const tie = [
      client('i-aaaaaaaa1', { status: 'ACTIVATED', lastHeartBeatTime: NOW }),
      client('i-aaaaaaaa1', { status: 'STOPPED', lastHeartBeatTime: NOW }),
    ];
    expect(clientStates(['i-aaaaaaaa1'], latestFirst)[0]?.status).toBe('ACTIVATED');
    expect(clientStates(['i-aaaaaaaa1'], tie)[0]?.status).toBe('ACTIVATED');
  });
});
