import { describe, expect, it } from 'vitest';
import { chunk, INSTANCE_ID_PATTERN } from '../../../src/domain/instance-ids.js';
import { HBR_REGIONS, isHbrRegion, nearestHbrRegions, regionOfZone } from '../../../src/domain/regions.js';
import type { ParsedCommand, ParseOptions } from '../../../src/slack/slash-command-parser.js';
import { MAX_LISTED_PROBLEMS, parseCommand } from '../../../src/slack/slash-command-parser.js';

const OPTIONS: ParseOptions = { maxInstances: 5, defaultRegion: 'cn-hangzhou' };
const A = 'i-bp1abcdefghijk12345';
const B = 'i-bp1abcdefghijk67890';
const C = 'i-abcdefgh';
const D = 'i-12345678';

function parse(text: string, options = OPTIONS): ParsedCommand {
  return parseCommand(text, options);
}

function installOf(text: string): { instanceIds: string[]; region: string; duplicates: number } {
  const parsed = parse(text);
  if (parsed.kind !== 'request' || parsed.operation !== 'install') {
    throw new Error(`expected an install request for ${JSON.stringify(text)}, got ${JSON.stringify(parsed)}`);
  }
  return parsed;
}

function problemsOf(text: string, options = OPTIONS): { token: string | null; reason: string }[] {
  const parsed = parse(text, options);
  if (parsed.kind !== 'invalid')
    throw new Error(`expected invalid for ${JSON.stringify(text)}, got ${JSON.stringify(parsed)}`);
  return parsed.problems;
}

describe('regions', () => {
  it('lists the 33 HBR regions and recognises them exactly', () => {
    expect(HBR_REGIONS).toHaveLength(33);
    expect(new Set(HBR_REGIONS).size).toBe(33);
    expect(isHbrRegion('cn-hangzhou')).toBe(true);
    expect(isHbrRegion('cn-hangzhou-finance')).toBe(true);
    expect(isHbrRegion('CN-HANGZHOU')).toBe(false);
    expect(isHbrRegion('cn-hangzhou ')).toBe(false);
    expect(isHbrRegion('us-west-2')).toBe(false);
  });

  it('maps availability zones to their region and suggests near names', () => {
    expect(regionOfZone('cn-hangzhou-h')).toBe('cn-hangzhou');
    expect(regionOfZone('ap-southeast-1a')).toBe('ap-southeast-1');
    expect(regionOfZone('cn-hangzhou')).toBeNull();
    expect(nearestHbrRegions('cn-shangai')[0]).toBe('cn-shanghai');
    expect(nearestHbrRegions('hongkong')).toEqual(['cn-hongkong']);
    expect(nearestHbrRegions('zzzzzzzzzz')).toEqual([]);
    expect(nearestHbrRegions('x'.repeat(10_000))).toEqual([]);
  });
});

describe('INSTANCE_ID_PATTERN and chunk', () => {
  it.each([
    ['i-12345678', true],
    [`i-${'a'.repeat(30)}`, true],
    ['i-1234567', false],
    [`i-${'a'.repeat(31)}`, false],
    ['i-ABCDEFGH', false],
    ['i_abcdefgh', false],
    [' i-abcdefgh', false],
    ['i-abcdefgh\n', false],
  ])('%j matches: %s', (id, ok) => {
    expect(INSTANCE_ID_PATTERN.test(id)).toBe(ok);
  });

  it('chunks by size, keeping order, and refuses sizes below 1', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 20)).toEqual([]);
    expect(
      chunk(
        Array.from({ length: 41 }, (_, i) => i),
        20,
      ).map((c) => c.length),
    ).toEqual([20, 20, 1]);
    expect(chunk([1, 2], 1)).toEqual([[1], [2]]);
    expect(() => chunk([1], 0)).toThrow('chunk size must be a whole number of at least 1, got 0');
    expect(() => chunk([1], -1)).toThrow(RangeError);
    expect(() => chunk([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('parseCommand: help', () => {
  it.each(['', '   ', '\n\t', 'help', 'HELP', '-h', '--help', ' , ; | ', '- * •', '—help'])('%j is help', (text) => {
    expect(parse(text)).toEqual({ kind: 'help', topic: 'install' });
  });
});

describe('parseCommand: separators and junk', () => {
  it.each<[string, string[]]>([
    [`${A} ${B}`, [A, B]],
    [`${A},${B}`, [A, B]],
    [`${A}, ${B};${C}|${D}`, [A, B, C, D]],
    [`${A}\n${B}\r\n${C}\t${D}`, [A, B, C, D]],
    [`${A}\u00a0${B}\u3000${C}\u200b${D}`, [A, B, C, D]],
    [`${A}，${B}；${C}`, [A, B, C]],
    [`"${A}" '${B}' \`${C}\` “${D}”`, [A, B, C, D]],
    [`[${A}] (${B}) {${C}}`, [A, B, C]],
    [`${A}. ${B}: ${C};`, [A, B, C]],
    [`("${A}"),`, [A]],
    [`\`\`\`${A}\n${B}\`\`\``, [A, B]],
    [`*${A}* _${B}_ ~${C}~`, [A, B, C]],
    [`1. ${A}\n2) ${B}\n- ${C}\n• ${D}`, [A, B].concat([C, D])],
    [`&gt; ${A}`, [A]],
    [`&lt;${A}&gt;`, [A]],
    [`['${A}', '${B}']`, [A, B]],
    [`\u0000${A}\u0007${B}\u007f`, [A, B]],
  ])('%j', (text, ids) => {
    expect(installOf(text).instanceIds).toEqual(ids);
  });

  it('keeps the first-seen order of unique IDs and counts duplicates', () => {
    const parsed = installOf(`${B} ${A} ${B}, ${A} ${B} ${C}`);
    expect(parsed.instanceIds).toEqual([B, A, C]);
    expect(parsed.duplicates).toBe(3);
    expect(parsed.region).toBe('cn-hangzhou');
  });
});

describe('parseCommand: refused tokens', () => {
  it.each<[string, string, RegExp]>([
    ['<@U012ABC|alice>', '<@U012ABC|alice>', /Slack user mention, not an instance ID/],
    ['<#C012ABC|ops>', '<#C012ABC|ops>', /Slack channel link, not an instance ID/],
    ['<!here>', '<!here>', /Slack mention .* not an instance ID/],
    ['<!subteam^S012|@ops>', '<!subteam^S012|@ops>', /not an instance ID/],
    [
      '<https://ecs.console.aliyun.com/#/server/i-bp1abcdefghijk12345|console>',
      '<https://ecs.console.aliyun.com/#/server/i-bp1abcdefghijk12…',
      /link is not an instance ID/,
    ],
    ['<mailto:a@b.c|a@b.c>', '<mailto:a@b.c|a@b.c>', /link/],
    [
      'I-BP1ABCDEFGHIJK12345',
      'I-BP1ABCDEFGHIJK12345',
      /^instance IDs are lowercase — did you mean i-bp1abcdefghijk12345\?$/,
    ],
    ['i-Bp1abcdefghijk12345', 'i-Bp1abcdefghijk12345', /did you mean i-bp1abcdefghijk12345\?/],
    [
      'i-abc',
      'i-abc',
      /^not an ECS instance ID \(expected i- followed by 8–30 lowercase letters or digits\); this one has 3 characters after i-$/,
    ],
    [`i-${'a'.repeat(31)}`, `i-${'a'.repeat(31)}`, /this one has 31 characters/],
    ['hello', 'hello', /^not an ECS instance ID \(expected i- followed by 8–30 lowercase letters or digits\)$/],
    ['sg-bp1abcdefghijk12345', 'sg-bp1abcdefghijk12345', /^not an ECS instance ID/],
    ['i-bp67acfmxazb4p****', 'i-bp67acfmxazb4p****', /masked/],
    ['i-bp1abcdefghi…', 'i-bp1abcdefghi…', /cut off/],
    ['i-bp1abcdefghijk...', 'i-bp1abcdefghijk...', /cut off/],
    ['cn-shanghai', 'cn-shanghai', /looks like a region — write it as --region cn-shanghai/],
    ['--force', '--force', /^unknown option --force — the only option is --region <region>$/],
    ['-r', '-r', /unknown option -r/],
  ])('%j', (text, token, reason) => {
    const problems = problemsOf(`${A} ${text}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.token).toBe(token);
    expect(problems[0]?.reason).toMatch(reason);
  });

  it.each<[string, RegExp]>([
    ['i-bp1web02c3n8v5tz1fa_', /^"_" is not part of any instance ID — check the ID and send it again$/],
    ['_i-bp1web02c3n8v5tz1fay', /^"_" is not part of any instance ID/],
    ['i-bp1web02c3n8v5tz1fa~', /^"~" is not part of any instance ID/],
    ['i-bp1web02c3n8v5tz1f_a', /^"_" is not part of any instance ID/],
    ['i-bp1web02=c3n8v5tz1f#', /^"=" and "#" are not part of any instance ID/],
  ])('refuses %j, a character it would otherwise drop, quoting the token', (token, reason) => {
    expect(problemsOf(`${A} ${token}`)).toEqual([{ token, reason: expect.stringMatching(reason) }]);
  });

  it('refuses the whole command when any token is bad, even with valid IDs', () => {
    const problems = problemsOf(`${A} ${B} oops ${C}`);
    expect(problems).toEqual([{ token: 'oops', reason: expect.stringContaining('not an ECS instance ID') }]);
  });

  it('reports only junk when there are no IDs', () => {
    expect(problemsOf('please install').map((p) => p.token)).toEqual(['please', 'install']);
  });

  it('truncates echoed tokens to 60 characters without splitting emoji', () => {
    const long = '😀'.repeat(100);
    const [problem] = problemsOf(long);
    expect(Array.from(problem?.token ?? '')).toHaveLength(60);
    expect(problem?.token?.endsWith('…')).toBe(true);
    expect(problem?.token).toBe(`${'😀'.repeat(59)}…`);
    const [short] = problemsOf('😀'.repeat(40));
    expect(short?.token).toBe('😀'.repeat(40));
  });

  it('lists the same bad token once', () => {
    expect(problemsOf('oops oops oops')).toHaveLength(1);
  });
});

describe('parseCommand: --region', () => {
  it.each<[string, string]>([
    [`--region cn-shanghai ${A}`, 'cn-shanghai'],
    [`${A} --region=cn-shanghai`, 'cn-shanghai'],
    [`${A} --region "ap-southeast-1"`, 'ap-southeast-1'],
    [`${A} --region='eu-central-1'`, 'eu-central-1'],
    [`${A} --region CN-BEIJING`, 'cn-beijing'],
    [`${A} —region cn-shenzhen`, 'cn-shenzhen'],
    [`${A} –region=cn-heyuan`, 'cn-heyuan'],
    [`${A} --REGION cn-shanghai-finance-1`, 'cn-shanghai-finance-1'],
    [A, 'cn-hangzhou'],
  ])('%j -> %s', (text, region) => {
    expect(installOf(text).region).toBe(region);
  });

  it.each<[string, string, RegExp]>([
    [`${A} --region`, '--region', /^--region needs a value, e.g. --region cn-shanghai$/],
    [`${A} --region=`, '--region=', /needs a value/],
    [`--region ${A}`, '--region', /needs a value/],
    [
      `${A} --region cn-shanghai --region cn-beijing`,
      '--region cn-beijing',
      /^--region given twice \(cn-shanghai and cn-beijing\) — give it once$/,
    ],
    [
      `${A} --region cn-shangai`,
      '--region cn-shangai',
      /^unknown HBR region "cn-shangai" — did you mean cn-shanghai\?$/,
    ],
    [`${A} --region=hongkong`, '--region=hongkong', /did you mean cn-hongkong\?/],
    [`${A} --region cn-hangzhou-h`, '--region cn-hangzhou-h', /availability zone.*--region cn-hangzhou/],
    [
      `${A} --region mars-north-1`,
      '--region mars-north-1',
      /unknown HBR region "mars-north-1" — e\.g\. cn-hangzhou, .*lists all 33/,
    ],
  ])('%j', (text, token, reason) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.token).toBe(token);
    expect(problems[0]?.reason).toMatch(reason);
  });

  it('does not take a following option as the value', () => {
    expect(problemsOf(`--region --force ${A}`)).toEqual([
      { token: '--region', reason: '--region needs a value, e.g. --region cn-shanghai' },
      { token: '--force', reason: 'unknown option --force — the only option is --region <region>' },
    ]);
  });

  it('is not help when only a region is given with junk', () => {
    expect(parse('--region cn-shanghai x').kind).toBe('invalid');
  });
});

describe('parseCommand: limits', () => {
  const many = (n: number): string[] => Array.from({ length: n }, (_, i) => `i-${String(i).padStart(20, '0')}`);

  it('accepts exactly maxInstances unique IDs, duplicates not counted', () => {
    const ids = many(5);
    const parsed = installOf([...ids, ...ids].join(' '));
    expect(parsed.instanceIds).toEqual(ids);
    expect(parsed.duplicates).toBe(5);
  });

  it('refuses more unique IDs than maxInstances, saying how many and the limit, and quoting no ID', () => {
    const ids = many(300);
    const problems = problemsOf(ids.join('\n'), { maxInstances: 200, defaultRegion: 'cn-hangzhou' });
    expect(problems).toEqual([
      { token: null, reason: '300 instances given, at most 200 per request — split them over several requests' },
    ]);
  });

  it('puts the limit first and caps the list at 30 problems plus a count', () => {
    const junk = Array.from({ length: 45 }, (_, i) => `junk${i}`);
    const problems = problemsOf([...many(7), ...junk].join(' '));
    expect(problems).toHaveLength(MAX_LISTED_PROBLEMS + 1);
    expect(problems[0]).toMatchObject({ token: null, reason: expect.stringMatching(/^7 instances given, at most 5/) });
    expect(problems[1]?.token).toBe('junk0');
    expect(problems[30]).toEqual({ token: null, reason: '…and 16 more problems' });
  });

  it('says "1 more problem" in the singular', () => {
    const junk = Array.from({ length: 31 }, (_, i) => `junk${i}`);
    expect(problemsOf(junk.join(' '))[30]).toEqual({ token: null, reason: '…and 1 more problem' });
  });

  it('keeps a 4,000-character paste readable', () => {
    const paste = Array.from(
      { length: 400 },
      (_, i) => `row${i}\tI-BP1ABCDEFGHIJ${String(i).padStart(5, '0')}\trunning`,
    ).join('\n');
    expect(paste.length).toBeGreaterThan(4000);
    const problems = problemsOf(paste);
    expect(problems).toHaveLength(31);
    expect(problems.every((p) => (p.token ?? '').length <= 60)).toBe(true);
  });
});

describe('parseCommand: never throws', () => {
  // A deterministic generator: no randomness in the suite.
  function* texts(): Generator<string> {
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const alphabet = [
      'i-',
      'a',
      'Z',
      '0',
      ' ',
      ',',
      ';',
      '|',
      '\n',
      '<',
      '>',
      '@',
      '#',
      '!',
      '|',
      '&lt;',
      '&amp;',
      '"',
      '`',
      '*',
      '.',
      '…',
      '-',
      '--region',
      '=',
      'cn-hangzhou',
      '\u0000',
      '\ud83d',
      '\ude00',
      '😀',
      'é',
      '\u202e',
      '\u00a0',
      '（',
      '(',
      ')',
    ];
    for (let i = 0; i < 300; i++) {
      const length = next() % 60;
      let s = '';
      for (let j = 0; j < length; j++) s += alphabet[next() % alphabet.length];
      yield s;
    }
  }

  it('answers every generated text with a well-formed result', () => {
    for (const text of texts()) {
      const parsed = parse(text);
      expect(['help', 'request', 'status', 'show', 'invalid']).toContain(parsed.kind);
      if (parsed.kind === 'request' || parsed.kind === 'status') {
        expect(parsed.instanceIds.every((id) => INSTANCE_ID_PATTERN.test(id))).toBe(true);
      }
      if (parsed.kind === 'invalid') {
        expect(parsed.problems.length).toBeGreaterThan(0);
        expect(parsed.problems.length).toBeLessThanOrEqual(31);
        for (const p of parsed.problems) {
          expect(Array.from(p.token ?? '').length).toBeLessThanOrEqual(60);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the property is that no control character is echoed
          expect(p.token).not.toMatch(/[\u0000-\u001f]/);
          expect(p.reason.length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('handles huge input quickly', () => {
    const started = performance.now();
    expect(parse('x'.repeat(1_000_000)).kind).toBe('invalid');
    // Nothing but brackets: no ID and no junk.
    expect(parse(`${'<'.repeat(200_000)}>`).kind).toBe('help');
    expect(parse('<@'.repeat(100_000)).kind).toBe('invalid');
    expect(parse(`${A} `.repeat(50_000)).kind).toBe('request');
    expect(parse(`--region ${'a'.repeat(100_000)}`).kind).toBe('invalid');
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('treats a non-string defensively', () => {
    expect(parseCommand(undefined as unknown as string, OPTIONS)).toEqual({ kind: 'help', topic: 'install' });
  });
});

describe('parseCommand: subcommands and the command they follow', () => {
  it('plain IDs ask for what the slash command does', () => {
    expect(parse(`${A} ${B}`)).toEqual({
      kind: 'request',
      operation: 'install',
      instanceIds: [A, B],
      region: 'cn-hangzhou',
      duplicates: 0,
    });
    expect(parse(A, { ...OPTIONS, command: 'uninstall' })).toMatchObject({
      kind: 'request',
      operation: 'uninstall',
      instanceIds: [A],
    });
    expect(parse(`${A} --region cn-shanghai`, { ...OPTIONS, command: 'status' })).toEqual({
      kind: 'status',
      instanceIds: [A],
      region: 'cn-shanghai',
      duplicates: 0,
    });
  });

  it('status first asks for the status after any command, with the same ID rules', () => {
    for (const command of ['install', 'uninstall', 'status'] as const) {
      expect(parse(`Status ${A}, ${A} ${B}`, { ...OPTIONS, command })).toEqual({
        kind: 'status',
        instanceIds: [A, B],
        region: 'cn-hangzhou',
        duplicates: 1,
      });
    }
    expect(parse(`status ${A} web-01`)).toMatchObject({ kind: 'invalid', problems: [{ token: 'web-01' }] });
    expect(parse(`- status ${A}`).kind).toBe('status');
    // Only first: a later "status" is a bad token, not a subcommand.
    expect(parse(`${A} status`)).toMatchObject({ kind: 'invalid', problems: [{ token: 'status' }] });
  });

  it("help, or no IDs, after a subcommand is that subcommand's help", () => {
    expect(parse('status')).toEqual({ kind: 'help', topic: 'status' });
    expect(parse('status help')).toEqual({ kind: 'help', topic: 'status' });
    expect(parse('show --help')).toEqual({ kind: 'help', topic: 'show' });
    expect(parse('help', { ...OPTIONS, command: 'uninstall' })).toEqual({ kind: 'help', topic: 'uninstall' });
    expect(parse('', { ...OPTIONS, command: 'status' })).toEqual({ kind: 'help', topic: 'status' });
  });

  it('show takes exactly one request id, as pasted from the request message', () => {
    expect(parse('show rabcdefghijkm')).toEqual({ kind: 'show', requestId: 'rabcdefghijkm' });
    expect(parse('SHOW `rabcdefghijkm`.')).toEqual({ kind: 'show', requestId: 'rabcdefghijkm' });
    expect(parse('show rabcdefghijkm', { ...OPTIONS, command: 'status' }).kind).toBe('show');
  });

  it.each<[string, RegExp]>([
    ['show', /needs a request id/],
    ['show web-01', /not a request id \(r followed by 12 letters a–z or digits 2–7/],
    ['show rabc', /not a request id/],
    ['show r0000000000000', /not a request id/],
    ['show RABCDEFGHIJKM', /request ids are lowercase — did you mean rabcdefghijkm\?/],
    ['show rabcdefghijkm rbbbbbbbbbbbb', /show takes one request id/],
    [`show ${A}`, /not a request id/],
    ['show <@U123>', /user mention/],
  ])('%j is refused: %s', (text, reason) => {
    const problems = problemsOf(text);
    expect(problems.map((p) => p.reason).join('\n')).toMatch(reason);
  });
});

describe('parseCommand: audit', () => {
  it('takes an optional count from 1 to 100, default 20', () => {
    expect(parse('audit')).toEqual({ kind: 'audit', count: 20, filter: null });
    expect(parse('audit 5')).toEqual({ kind: 'audit', count: 5, filter: null });
    expect(parse('AUDIT 100', { ...OPTIONS, command: 'status' })).toEqual({ kind: 'audit', count: 100, filter: null });
    expect(parse('audit help')).toEqual({ kind: 'help', topic: 'audit' });
  });

  it('takes what to show: a request, a user (mention or ID) or an instance, then the count', () => {
    expect(parse('audit request rabcdefghijkm')).toEqual({
      kind: 'audit',
      count: 20,
      filter: { by: 'request', requestId: 'rabcdefghijkm' },
    });
    expect(parse('audit user <@U0123ABC|dana> 5')).toEqual({
      kind: 'audit',
      count: 5,
      filter: { by: 'user', userId: 'U0123ABC' },
    });
    expect(parse('audit User W0123ABC')).toMatchObject({ filter: { by: 'user', userId: 'W0123ABC' } });
    expect(parse(`audit instance ${A} 50`)).toEqual({
      kind: 'audit',
      count: 50,
      filter: { by: 'instance', instanceId: A },
    });
    for (const [text, reason] of [
      ['audit request', /audit request takes a request id/],
      ['audit request i-bp1', /audit request takes a request id/],
      ['audit user dana', /audit user takes a Slack user/],
      ['audit user <#C0123ABC>', /audit user takes a Slack user/],
      ['audit instance rabcdefghijkm', /audit instance takes an ECS instance ID/],
      ['audit instance', /audit instance takes an ECS instance ID/],
      [`audit instance ${A} many`, /a number from 1 to 100/],
    ] as const) {
      expect(
        problemsOf(text)
          .map((p) => p.reason)
          .join('\n'),
        text,
      ).toMatch(reason);
    }
  });

  it('refuses counts out of range, non-numbers and extra words', () => {
    for (const text of ['audit 0', 'audit 101', 'audit ten', 'audit -3', 'audit 1.5', 'audit <@U123>']) {
      expect(parse(text).kind, text).toBe('invalid');
    }
    expect(parse('audit 5 6')).toMatchObject({
      kind: 'invalid',
      problems: [{ token: '6', reason: 'audit takes one number at most' }],
    });
  });
});
