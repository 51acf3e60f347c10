/**
 * Parsing the free text Slack hands over for the slash commands (`/hbr-install`, `/hbr-uninstall`,
 * `/hbr-status`) into a subcommand, ECS instance IDs and options: Slack's markup (<@U…>, <#C…>,
 * links) and entities (&lt; &gt; &amp;) are decoded and refused with a reason. Pure: never throws
 * on any text, whatever a user pastes.
 *
 *   [status | show] <instance IDs> [--region <region>]      show takes one request id instead
 *   audit [request <id> | user <@user> | instance <i-…>] [n]
 */

import type { AuditFilter } from '../domain/audit-event.js';
import { INSTANCE_ID_PATTERN } from '../domain/instance-ids.js';
import type { Operation } from '../domain/operation.js';
import { COMMON_HBR_REGIONS, HBR_REGIONS, isHbrRegion, nearestHbrRegions, regionOfZone } from '../domain/regions.js';
import { REQUEST_ID_PATTERN } from '../domain/request.js';

/** Problems listed before the rest are summed up in one final entry. */
export const MAX_LISTED_PROBLEMS = 30;

/** Longest token echoed back in a problem, in characters (the last one being …). */
const MAX_TOKEN_ECHO = 60;

/** What plain instance IDs ask for, which depends on the slash command they were typed after. */
export type CommandName = Operation | 'status';

/** Which usage to show: a command's, or the `show` or `audit` subcommand's. */
export type HelpTopic = CommandName | 'show' | 'audit';

/** Words that, first in the text, pick a subcommand of any of the slash commands. */
const SUBCOMMANDS = ['status', 'show', 'audit'] as const;

/** `audit` without a number lists this many events; more than the maximum is refused. */
export const AUDIT_DEFAULT_COUNT = 20;
export const AUDIT_MAX_COUNT = 100;

export type ParsedCommand =
  | { kind: 'help'; topic: HelpTopic }
  | { kind: 'request'; operation: Operation; instanceIds: string[]; region: string; duplicates: number }
  | { kind: 'status'; instanceIds: string[]; region: string; duplicates: number }
  | { kind: 'show'; requestId: string }
  | { kind: 'audit'; count: number; filter: AuditFilter | null }
  /** `topic`: what the command asked for (a request, or a look-up that changes nothing). */
  | { kind: 'invalid'; topic: HelpTopic; problems: CommandProblem[] };

export interface CommandProblem {
  /** The token as typed, truncated to 60 characters with …; null for a problem of the whole command. */
  token: string | null;
  /** Words an operator acts on. */
  reason: string;
}

export interface ParseOptions {
  maxInstances: number;
  defaultRegion: string;
  /** What plain IDs mean: the slash command's own action. Default 'install'. */
  command?: CommandName;
}

// ---------------------------------------------------------------------------------------------
// Tokenising

type MarkupKind = 'user' | 'channel' | 'special' | 'link';

interface Token {
  /** As typed (Slack's &lt; &gt; &amp; decoded), for echoing back. */
  raw: string;
  markup: MarkupKind | null;
}

/**
 * Whitespace (\s covers NBSP, the Unicode spaces, BOM), other control characters, zero-width
 * spaces, and , ; | with their CJK forms.
 */
const SEPARATORS = /[\s\p{Cc}\u200b\u2060,;|，；、]+/u;

/**
 * Slack markup in command text: <@U…>, <#C…|name>, <!here>, <!subteam^S…>, <http://…|label>,
 * <mailto:…>. Slack escapes any < a user types as &lt;, so a literal < starts markup.
 */
const MARKUP = /<[@#!][^<>]*>|<[a-z][a-z0-9+.-]*:[^<>]*>/gi;

function decodeSlackEntities(s: string): string {
  return s.replace(/&(lt|gt|amp);/g, (_m, name: string) => (name === 'lt' ? '<' : name === 'gt' ? '>' : '&'));
}

function markupKind(markup: string): MarkupKind {
  switch (markup[1]) {
    case '@':
      return 'user';
    case '#':
      return 'channel';
    case '!':
      return 'special';
    default:
      return 'link';
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pushPlain = (segment: string): void => {
    for (const piece of decodeSlackEntities(segment).split(SEPARATORS)) {
      if (piece.length > 0) tokens.push({ raw: piece, markup: null });
    }
  };
  let last = 0;
  for (const match of text.matchAll(MARKUP)) {
    const start = match.index ?? 0;
    pushPlain(text.slice(last, start));
    tokens.push({ raw: match[0], markup: markupKind(match[0]) });
    last = start + match[0].length;
  }
  pushPlain(text.slice(last));
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Cleaning one token

const LEADING_JUNK = new Set([
  '"',
  "'",
  '`',
  '‘',
  '’',
  '“',
  '”',
  '„',
  '«',
  '‹',
  '[',
  '(',
  '{',
  '<',
  '>',
  '「',
  '『',
  '（',
  '【',
]);
const TRAILING_JUNK = new Set([
  '"',
  "'",
  '`',
  '‘',
  '’',
  '“',
  '”',
  '»',
  '›',
  ']',
  ')',
  '}',
  '>',
  ',',
  ':',
  ';',
  '」',
  '』',
  '）',
  '】',
  '。',
]);

/**
 * Slack's emphasis marks (*bold*, _italic_, ~struck~), stripped only as a pair around a token: a
 * lone one is a typo (or, for *, a masked ID) and is refused, never dropped.
 */
const EMPHASIS_MARKS = new Set(['*', '_', '~']);

/** Tokens that carry nothing: bullets, list numbers, a lone -- . */
const FILLER = /^(?:[-–—•·*>]+|\d{1,3}[.)])$/;

interface Cleaned {
  value: string;
  /** Ended with .. or …: a copy that lost its tail. */
  cutOff: boolean;
}

function clean(raw: string): Cleaned {
  // Indices rather than repeated slicing: a pasted megabyte of brackets stays linear.
  let start = 0;
  let end = raw.length;
  let changed = true;
  while (changed && start < end) {
    changed = false;
    while (start < end && LEADING_JUNK.has(raw[start] ?? '')) {
      start++;
      changed = true;
    }
    while (end > start && TRAILING_JUNK.has(raw[end - 1] ?? '')) {
      end--;
      changed = true;
    }
    if (end - start > 1 && EMPHASIS_MARKS.has(raw[start] ?? '') && raw[start] === raw[end - 1]) {
      start++;
      end--;
      changed = true;
    }
    // One full stop ends a sentence; two or more (or …) mean the ID was cut short.
    if (end - start > 1 && raw[end - 1] === '.' && raw[end - 2] !== '.') {
      end--;
      changed = true;
    }
  }
  const value = raw.slice(start, end);
  return { value, cutOff: /(?:\.\.|…)$/.test(value) };
}

/** Slack, macOS and phones turn -- into an en or em dash. */
function normalizeDashes(value: string): string {
  return value.replace(/^[–—]+(?=[a-zA-Z])/, '--');
}

const HELP_WORDS = new Set(['help', '-h', '--help', '-help', '?']);
const REGION_FLAG_NAMES = new Set(['--region', '-region']);

// ---------------------------------------------------------------------------------------------
// Echoing tokens back

function echo(s: string, max = MAX_TOKEN_ECHO): string {
  const visible = s
    // Control characters (C0, DEL, C1) and lone surrogates would print as nothing or garbage.
    .replace(/\p{Cc}/gu, '\ufffd')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  if (visible.length <= max) return visible;
  // Count code points, not UTF-16 units, so an emoji is never cut in half.
  if (visible.length <= max * 2 && Array.from(visible).length <= max) return visible;
  return `${Array.from(visible.slice(0, max * 2))
    .slice(0, max - 1)
    .join('')}…`;
}

const NOT_AN_ID = 'not an ECS instance ID (expected i- followed by 8–30 lowercase letters or digits)';

function markupReason(kind: MarkupKind): string {
  switch (kind) {
    case 'user':
      return 'a Slack user mention, not an instance ID';
    case 'channel':
      return 'a Slack channel link, not an instance ID';
    case 'special':
      return 'a Slack mention (@here, @channel, a user group…), not an instance ID';
    case 'link':
      return 'Slack turned this into a link, and a link is not an instance ID — paste the plain i-… ID';
  }
}

function countNoun(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function regionProblemReason(value: string): string {
  const shown = `"${echo(value, 40)}"`;
  const zoneRegion = regionOfZone(value.toLowerCase());
  if (zoneRegion) return `${shown} is an availability zone, not a region — use --region ${zoneRegion}`;
  const nearest = nearestHbrRegions(value);
  if (nearest.length > 0) return `unknown HBR region ${shown} — did you mean ${nearest.join(' or ')}?`;
  return `unknown HBR region ${shown} — e.g. ${COMMON_HBR_REGIONS.join(', ')}; \`help\` lists all ${HBR_REGIONS.length}`;
}

/** Why a cleaned, non-flag, non-ID token is refused. */
function tokenReason(cleaned: Cleaned): string {
  const value = cleaned.value;
  const lower = value.toLowerCase();
  if (value !== lower && INSTANCE_ID_PATTERN.test(lower)) {
    return `instance IDs are lowercase — did you mean ${lower}?`;
  }
  if (cleaned.cutOff && /^i-/i.test(value)) {
    return 'looks cut off (ends with …) — paste the whole instance ID';
  }
  if (/^i-/i.test(value) && value.includes('*')) {
    return 'looks masked (contains *) — copy the full instance ID from the ECS console';
  }
  // An ID with characters no ID has around or inside it: a typo, never silently cut away.
  const start = value.indexOf('i-');
  const strays = [...new Set((value.slice(0, start) + value.slice(start + 2)).replace(/[a-z0-9]/g, ''))];
  if (start >= 0 && !/[a-z0-9]/.test(value.slice(0, start)) && strays.length > 0) {
    const named = strays.map((c) => `"${echo(c, 2)}"`).join(' and ');
    return `${named} ${strays.length === 1 ? 'is' : 'are'} not part of any instance ID — check the ID and send it again`;
  }
  if (isHbrRegion(lower) || regionOfZone(lower)) {
    return `looks like a region — write it as --region ${regionOfZone(lower) ?? lower}`;
  }
  const idBody = /^i-([a-z0-9]*)$/.exec(value);
  if (idBody) {
    const length = idBody[1]?.length ?? 0;
    return `${NOT_AN_ID}; this one has ${countNoun(length, 'character')} after i-`;
  }
  return NOT_AN_ID;
}

// ---------------------------------------------------------------------------------------------
// Parsing

type Subcommand = (typeof SUBCOMMANDS)[number];

function subcommandOf(token: Token | undefined): Subcommand | null {
  if (token === undefined || token.markup) return null;
  const word = clean(token.raw).value.toLowerCase();
  return (SUBCOMMANDS as readonly string[]).includes(word) ? (word as Subcommand) : null;
}

/** Tokens that carry something: not bullets, list numbers or brackets alone. */
function meaningful(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => {
    if (t.markup) return true;
    if (FILLER.test(t.raw)) return false;
    const value = clean(t.raw).value;
    return value.length > 0 && !FILLER.test(value);
  });
}

export function parseCommand(text: string, options: ParseOptions): ParsedCommand {
  const command = options.command ?? 'install';
  const tokens = meaningful(tokenize(typeof text === 'string' ? text : ''));
  const subcommand = subcommandOf(tokens[0]);
  const rest = subcommand === null ? tokens : tokens.slice(1);
  if (subcommand === 'show') return parseShow(rest);
  if (subcommand === 'audit') return parseAudit(rest);

  const wanted: CommandName = subcommand ?? command;
  const parsed = parseInstances(rest, options);
  if (parsed.kind === 'help') return { kind: 'help', topic: wanted };
  if (parsed.kind === 'invalid') return { kind: 'invalid', topic: wanted, problems: parsed.problems };
  const { instanceIds, region, duplicates } = parsed;
  return wanted === 'status'
    ? { kind: 'status', instanceIds, region, duplicates }
    : { kind: 'request', operation: wanted, instanceIds, region, duplicates };
}

const REQUEST_ID_FORM = 'r followed by 12 letters a–z or digits 2–7, as shown in the request message';

/** `show <request id>`: exactly one request id. */
function parseShow(tokens: readonly Token[]): ParsedCommand {
  const problems: CommandProblem[] = [];
  const ids: string[] = [];
  for (const token of tokens) {
    if (token.markup) {
      problems.push({ token: echo(token.raw), reason: markupReason(token.markup) });
      continue;
    }
    const value = clean(token.raw).value;
    if (HELP_WORDS.has(value.toLowerCase())) return { kind: 'help', topic: 'show' };
    if (REQUEST_ID_PATTERN.test(value)) ids.push(value);
    else if (REQUEST_ID_PATTERN.test(value.toLowerCase())) {
      problems.push({
        token: echo(token.raw),
        reason: `request ids are lowercase — did you mean ${value.toLowerCase()}?`,
      });
    } else {
      problems.push({ token: echo(token.raw), reason: `not a request id (${REQUEST_ID_FORM})` });
    }
  }
  if (ids.length > 1) {
    problems.push({ token: echo(ids.slice(1).join(' ')), reason: 'show takes one request id — ask for one at a time' });
  }
  if (problems.length === 0 && ids.length === 0) {
    problems.push({ token: 'show', reason: `needs a request id (${REQUEST_ID_FORM}), e.g. show rabcdefghijkm` });
  }
  const [requestId] = ids;
  if (problems.length > 0 || requestId === undefined)
    return { kind: 'invalid', topic: 'show', problems: capProblems(dedupeProblems(problems)) };
  return { kind: 'show', requestId };
}

/** The words that pick what `audit` shows, and what each takes. */
const AUDIT_FILTERS = {
  request: `a request id (${REQUEST_ID_FORM})`,
  user: 'a Slack user: @someone, or a user ID (U…/W…)',
  instance: 'an ECS instance ID (i- followed by 8–30 lowercase letters or digits)',
} as const;

type AuditFilterWord = keyof typeof AUDIT_FILTERS;

const USER_MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** The filter `by` with the value of `token`, or null when the token is not one. */
function auditFilter(by: AuditFilterWord, token: Token): AuditFilter | null {
  if (by === 'user') {
    const id =
      token.markup === 'user' ? USER_MENTION.exec(token.raw)?.[1] : token.markup ? undefined : clean(token.raw).value;
    return id !== undefined && USER_ID.test(id) ? { by, userId: id } : null;
  }
  if (token.markup) return null;
  const value = clean(token.raw).value;
  if (by === 'request') return REQUEST_ID_PATTERN.test(value) ? { by, requestId: value } : null;
  return INSTANCE_ID_PATTERN.test(value) ? { by, instanceId: value } : null;
}

/** `audit [request <id> | user <@user> | instance <i-…>] [n]`: n a whole number from 1 to AUDIT_MAX_COUNT. */
function parseAudit(tokens: readonly Token[]): ParsedCommand {
  const values = tokens.map((token) => (token.markup ? token.raw : clean(token.raw).value));
  if (values.some((value) => HELP_WORDS.has(value.toLowerCase()))) return { kind: 'help', topic: 'audit' };
  const problems: CommandProblem[] = [];
  let filter: AuditFilter | null = null;
  let rest = tokens;
  const word = values[0]?.toLowerCase();
  if (word !== undefined && Object.hasOwn(AUDIT_FILTERS, word)) {
    const by = word as AuditFilterWord;
    const [, target, ...after] = tokens;
    rest = after;
    filter = target === undefined ? null : auditFilter(by, target);
    if (filter === null) {
      problems.push({
        token: echo(target === undefined ? `audit ${by}` : target.raw),
        reason: `audit ${by} takes ${AUDIT_FILTERS[by]}`,
      });
    }
  }
  const [value, ...extra] = rest.map((token) => (token.markup ? token.raw : clean(token.raw).value));
  const count = value === undefined ? AUDIT_DEFAULT_COUNT : /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (value !== undefined && !(count >= 1 && count <= AUDIT_MAX_COUNT)) {
    problems.push({
      token: echo(value),
      reason: `audit takes what to show (request, user or instance and its value), then how many events, a number from 1 to ${AUDIT_MAX_COUNT}`,
    });
  }
  for (const token of extra) problems.push({ token: echo(token), reason: 'audit takes one number at most' });
  return problems.length > 0 ? { kind: 'invalid', topic: 'audit', problems } : { kind: 'audit', count, filter };
}

type ParsedInstances =
  | { kind: 'help' }
  | { kind: 'ids'; instanceIds: string[]; region: string; duplicates: number }
  | { kind: 'invalid'; problems: CommandProblem[] };

/** Instance IDs and --region; any bad token refuses the whole list. */
function parseInstances(tokens: readonly Token[], options: ParseOptions): ParsedInstances {
  const problems: CommandProblem[] = [];
  const problem = (token: string, reason: string): void => {
    problems.push({ token: echo(token), reason });
  };

  const ids: string[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let region: string | null = null;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token) continue;
    if (token.markup) {
      problem(token.raw, markupReason(token.markup));
      continue;
    }
    if (FILLER.test(token.raw)) continue;
    const cleaned = clean(token.raw);
    if (cleaned.value.length === 0 || FILLER.test(cleaned.value)) continue;

    const word = normalizeDashes(cleaned.value);
    if (HELP_WORDS.has(word.toLowerCase())) return { kind: 'help' };

    if (INSTANCE_ID_PATTERN.test(word)) {
      if (seen.has(word)) duplicates++;
      else {
        seen.add(word);
        ids.push(word);
      }
      continue;
    }

    if (/^--?[a-zA-Z]/.test(word)) {
      const eq = word.indexOf('=');
      const name = (eq === -1 ? word : word.slice(0, eq)).toLowerCase();
      if (!REGION_FLAG_NAMES.has(name)) {
        problem(token.raw, `unknown option ${echo(name, 30)} — the only option is --region <region>`);
        continue;
      }
      let value: string | null = null;
      let shownToken = token.raw;
      if (eq !== -1) {
        value = clean(word.slice(eq + 1)).value;
      } else {
        const next = tokens[i + 1];
        const nextValue = next && !next.markup ? clean(next.raw).value : '';
        if (next && !next.markup && nextValue.length > 0 && !/^[-–—]/.test(nextValue) && !/^i-/i.test(nextValue)) {
          value = nextValue;
          shownToken = `${token.raw} ${next.raw}`;
          i++;
        }
      }
      if (value === null || value.length === 0) {
        problem(token.raw, '--region needs a value, e.g. --region cn-shanghai');
        continue;
      }
      const normalized = value.toLowerCase();
      if (region !== null) {
        problem(shownToken, `--region given twice (${echo(region, 40)} and ${echo(normalized, 40)}) — give it once`);
        continue;
      }
      if (!isHbrRegion(normalized)) {
        problem(shownToken, regionProblemReason(value));
        // Remember it anyway so a second --region is still reported as given twice.
        region = normalized;
        continue;
      }
      region = normalized;
      continue;
    }

    problem(token.raw, tokenReason(cleaned));
  }

  if (ids.length > options.maxInstances) {
    // No one ID is at fault, so none is quoted.
    problems.unshift({
      token: null,
      reason: `${ids.length} instances given, at most ${options.maxInstances} per request — split them over several requests`,
    });
  }

  if (problems.length > 0) return { kind: 'invalid', problems: capProblems(dedupeProblems(problems)) };
  if (ids.length === 0) return { kind: 'help' };
  return { kind: 'ids', instanceIds: ids, region: region ?? options.defaultRegion, duplicates };
}

function dedupeProblems(problems: CommandProblem[]): CommandProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.token}\u0000${p.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function capProblems(problems: CommandProblem[]): CommandProblem[] {
  if (problems.length <= MAX_LISTED_PROBLEMS) return problems;
  const more = problems.length - MAX_LISTED_PROBLEMS;
  return [
    ...problems.slice(0, MAX_LISTED_PROBLEMS),
    { token: null, reason: `…and ${more} more problem${more === 1 ? '' : 's'}` },
  ];
}
