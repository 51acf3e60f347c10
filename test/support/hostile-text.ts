/**
 * fast-check arbitraries for what people (and attackers) type after a slash command, and for what
 * HBR might answer: valid and nearly valid instance IDs, Slack markup, --region in all its forms,
 * arbitrary Unicode with control characters and lone surrogates, separators of every kind, and
 * texts far longer than Slack's 4,000 characters.
 */
import fc from 'fast-check';
import { HBR_REGIONS } from '../../src/domain/regions.js';

export const validInstanceId = fc.stringMatching(/^i-[a-z0-9]{8,30}$/);

/** Things that look like an instance ID but are not one. */
const nearInstanceId = fc.oneof(
  validInstanceId.map((id) => id.toUpperCase()),
  validInstanceId.map((id) => `${id.slice(0, 8)}****`),
  validInstanceId.map((id) => `${id.slice(0, 10)}…`),
  validInstanceId.map((id) => `${id}..`),
  fc.stringMatching(/^i-[a-z0-9]{0,7}$/),
  fc.stringMatching(/^i-[a-z0-9]{31,40}$/),
  validInstanceId.map((id) => id.replace('i', '\u0456')), // Cyrillic і
  validInstanceId.map((id) => id.replace(/[0-9]/, (d) => String.fromCharCode(0xff10 + Number(d)))), // fullwidth digit
  validInstanceId.map((id) => `${id}\u200b`),
  validInstanceId.map((id) => `"${id}"`),
  validInstanceId.map((id) => `\`${id}\``),
  validInstanceId.map((id) => `*${id}*`),
);

const slackId = (prefix: string) => fc.stringMatching(new RegExp(`^${prefix}[A-Z0-9]{8,11}$`));

export const slackMarkup = fc.oneof(
  slackId('U').map((id) => `<@${id}>`),
  slackId('W').map((id) => `<@${id}|someone>`),
  slackId('C').map((id) => `<#${id}|ops>`),
  fc.constantFrom('<!here>', '<!channel>', '<!everyone>', '<!date^1392734382^{date}|Feb 18>'),
  slackId('S').map((id) => `<!subteam^${id}|@ops>`),
  validInstanceId.map((id) => `<http://${id}.example.com|${id}>`),
  fc.webUrl().map((url) => `<${url}>`),
  fc.emailAddress().map((email) => `<mailto:${email}|${email}>`),
  fc.constantFrom('&lt;', '&gt;', '&amp;', '&lt;@U123&gt;', '<', '>', '<<>>', '<@>', '<#|>'),
);

const regionValue = fc.oneof(
  fc.constantFrom(...HBR_REGIONS),
  fc.constantFrom(...HBR_REGIONS).map((r) => r.toUpperCase()),
  fc.constantFrom(
    'cn-hangzhou-h',
    'cn-shanghai-b',
    'us-east-1a',
    'cn-hangzhuo',
    'mars-north-1',
    '',
    '""',
    '--region',
    'i-bp1aaaaaaaaaaaaaaaa1',
  ),
  fc.string({ maxLength: 40, unit: 'grapheme' }),
);

const regionFlag = fc.oneof(
  regionValue.map((value) => `--region ${value}`),
  regionValue.map((value) => `--region=${value}`),
  regionValue.map((value) => `\u2014region ${value}`),
  regionValue.map((value) => `-region ${value}`),
  regionValue.map((value) => `--REGION ${value}`),
  fc.constantFrom('--region', '--region=', '--regions cn-hangzhou', '--zone cn-hangzhou-h', '--', '-'),
);

/** Any Unicode: graphemes, lone surrogates, control characters. */
const anyText = fc.oneof(
  fc.string({ maxLength: 60, unit: 'grapheme' }),
  fc.string({ maxLength: 60, unit: 'binary' }),
  fc.string({
    maxLength: 30,
    unit: fc.constantFrom(
      '\u0000',
      '\u0007',
      '\u001b',
      '\u007f',
      '\u0085',
      '\u2028',
      '\u202e',
      '\ud800',
      '\udfff',
      '\ufeff',
      '\u200d',
      '\ufffd',
    ),
  }),
);

const subcommandWord = fc.constantFrom(
  'status',
  'show',
  'audit',
  'help',
  'STATUS',
  'Show',
  '?',
  '-h',
  '--help',
  'show rabcdefghijkm',
  'audit 5',
  'audit 0',
  'audit 101',
  'audit many',
);

const separator = fc.constantFrom(
  ' ',
  '  ',
  ',',
  ', ',
  ';',
  '|',
  '\n',
  '\r\n',
  '\t',
  '\u00a0',
  '\u200b',
  '，',
  '、',
  ' , ',
  '\u0000',
  '\u2003',
);

const token = fc.oneof(
  { weight: 5, arbitrary: validInstanceId },
  { weight: 3, arbitrary: nearInstanceId },
  { weight: 2, arbitrary: slackMarkup },
  { weight: 2, arbitrary: regionFlag },
  { weight: 3, arbitrary: anyText },
  { weight: 1, arbitrary: subcommandWord },
  { weight: 1, arbitrary: fc.constantFrom('-', '•', '1.', '2)', '[', ']', '(', ')', '"', '```', '>', '*', '_', '~') },
);

/** A whole command text: tokens and separators, sometimes far beyond Slack's 4,000 characters. */
export const commandText = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(fc.tuple(token, separator), { maxLength: 40 })
      .map((parts) => parts.map(([t, s]) => t + s).join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(validInstanceId, fc.integer({ min: 150, max: 400 }))
      .map(([id, n]) =>
        Array.from({ length: n }, (_, i) => `${id.slice(0, 12)}${String(i).padStart(8, '0')}`).join(' '),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(anyText, fc.integer({ min: 100, max: 1000 }))
      .map(([text, n]) => text.repeat(n).slice(0, 45_000)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(validInstanceId, slackMarkup, fc.integer({ min: 1, max: 30 }))
      .map(([id, markup, n]) => `${`${id} `.repeat(n)}${markup}`),
  },
);

/** What HBR might put in a field: plausible values, long ones, and junk. */
export const hbrText = fc.oneof(
  fc.constantFrom(
    '',
    'ACTIVATED',
    'INSTALL_FAILED',
    'NOT_INSTALLED',
    'UNKNOWN',
    'WEIRD_NEW_STATUS',
    'constructor',
    '__proto__',
    'InstanceNotRunning',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 3000, unit: 'grapheme' }),
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.constantFrom('*bold* _it_ ~s~ `code` ```block``` <!here> <@U123> &lt;script&gt; | \n\n> quote'),
);

/** A command that should be accepted: distinct-or-repeated valid IDs in list clutter, maybe a region. */
export const acceptableCommandText = fc
  .tuple(
    fc.array(validInstanceId, { minLength: 1, maxLength: 45 }),
    fc.array(fc.constantFrom(' ', ', ', '\n', '\n- ', ' | ', '; ', '\t', '\n1. ', ' "', '" '), {
      minLength: 1,
      maxLength: 5,
    }),
    fc.option(fc.constantFrom(...HBR_REGIONS)),
  )
  .map(([ids, seps, region]) => {
    const list = ids.map((id, i) => `${id}${seps[i % seps.length] ?? ' '}`).join('');
    return region === null ? list : `${list} --region ${region}`;
  });
