import { describe, expect, it } from 'vitest';
import { blockKitProblems } from '../../sandbox/block-kit-limits.js';

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text });
const section = (text: string) => ({ type: 'section', text: mrkdwn(text) });
const button = (extra: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: 'approve',
  text: plain('Approve'),
  value: 'req-1',
  ...extra,
});
const actions = (...elements: unknown[]) => ({ type: 'actions', elements });
const confirm = (extra: Record<string, unknown> = {}) => ({
  title: plain('Install HBR?'),
  text: mrkdwn('This installs the backup client on *i-123*.'),
  confirm: plain('Install'),
  deny: plain('Cancel'),
  ...extra,
});

/** Problems for a message made of `blocks` (with a fallback text). */
const problemsOf = (...blocks: unknown[]) => blockKitProblems({ text: 'fallback', blocks });

/** Asserts exactly one problem, located at `pointer` (Slack's json-pointer notation). */
function expectOnlyProblemAt(problems: string[], pointer: string): void {
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain(`[json-pointer:${pointer}]`);
}

describe('blockKitProblems', () => {
  it('accepts a realistic approval message', () => {
    expect(
      blockKitProblems({
        text: 'HBR install request for i-123',
        blocks: [
          { type: 'header', text: plain('HBR install request') },
          { type: 'section', text: mrkdwn('*Instance* `i-123`'), fields: [mrkdwn('*Region*'), plain('cn-hangzhou')] },
          { type: 'context', elements: [mrkdwn('Requested by <@U1>')] },
          { type: 'divider' },
          actions(button({ style: 'primary', confirm: confirm() }), button({ action_id: 'reject', style: 'danger' })),
        ],
      }),
    ).toEqual([]);
  });

  it('flags a message with neither text nor blocks', () => {
    expect(blockKitProblems({})).toEqual([expect.stringContaining('neither "text" nor "blocks"')]);
    expect(blockKitProblems({ text: '', blocks: [] })).toHaveLength(1);
    expect(blockKitProblems({ text: 'only text' })).toEqual([]);
    expect(blockKitProblems({ blocks: [section('only blocks')] })).toEqual([]);
  });

  it('limits top-level text to 40000 characters', () => {
    expect(blockKitProblems({ text: 'x'.repeat(40_000) })).toEqual([]);
    expectOnlyProblemAt(blockKitProblems({ text: 'x'.repeat(40_001) }), '/text');
  });

  it('allows at most 50 blocks per message', () => {
    const blocks = Array.from({ length: 50 }, (_, i) => section(`line ${i}`));
    expect(problemsOf(...blocks)).toEqual([]);
    expectOnlyProblemAt(problemsOf(...blocks, section('one too many')), '/blocks');
  });

  it('limits section text to 3000 characters and requires it to be non-empty', () => {
    expect(problemsOf(section('x'.repeat(3000)))).toEqual([]);
    expectOnlyProblemAt(problemsOf(section('x'.repeat(3001))), '/blocks/0/text/text');
    expectOnlyProblemAt(problemsOf(section('')), '/blocks/0/text/text');
  });

  it('requires a section to have text or fields', () => {
    expectOnlyProblemAt(problemsOf({ type: 'section' }), '/blocks/0');
  });

  it('limits section fields to 10 items of at most 2000 characters each', () => {
    const fields = Array.from({ length: 10 }, (_, i) => mrkdwn(`field ${i}`));
    expect(problemsOf({ type: 'section', fields })).toEqual([]);
    expectOnlyProblemAt(problemsOf({ type: 'section', fields: [...fields, mrkdwn('11th')] }), '/blocks/0/fields');
    expect(problemsOf({ type: 'section', fields: [mrkdwn('x'.repeat(2000))] })).toEqual([]);
    expectOnlyProblemAt(problemsOf({ type: 'section', fields: [mrkdwn('x'.repeat(2001))] }), '/blocks/0/fields/0/text');
  });

  it('requires header text to be plain_text of at most 150 characters', () => {
    expect(problemsOf({ type: 'header', text: plain('x'.repeat(150)) })).toEqual([]);
    expectOnlyProblemAt(problemsOf({ type: 'header', text: plain('x'.repeat(151)) }), '/blocks/0/text/text');
    expectOnlyProblemAt(problemsOf({ type: 'header', text: mrkdwn('*bold*') }), '/blocks/0/text/type');
  });

  it('allows at most 10 context elements', () => {
    const elements = Array.from({ length: 10 }, (_, i) => mrkdwn(`c${i}`));
    expect(problemsOf({ type: 'context', elements })).toEqual([]);
    expectOnlyProblemAt(problemsOf({ type: 'context', elements: [...elements, mrkdwn('c10')] }), '/blocks/0/elements');
  });

  it('allows at most 25 elements in an actions block', () => {
    const elements = Array.from({ length: 25 }, (_, i) => button({ action_id: `a${i}` }));
    expect(problemsOf(actions(...elements))).toEqual([]);
    expectOnlyProblemAt(problemsOf(actions(...elements, button({ action_id: 'a25' }))), '/blocks/0/elements');
  });

  it('requires action_ids to be unique within an actions block', () => {
    expectOnlyProblemAt(problemsOf(actions(button(), button())), '/blocks/0/elements/1/action_id');
  });

  it('limits button text to 75 characters of plain_text', () => {
    expect(problemsOf(actions(button({ text: plain('x'.repeat(75)) })))).toEqual([]);
    expectOnlyProblemAt(problemsOf(actions(button({ text: plain('x'.repeat(76)) }))), '/blocks/0/elements/0/text/text');
    expectOnlyProblemAt(problemsOf(actions(button({ text: mrkdwn('*Go*') }))), '/blocks/0/elements/0/text/type');
  });

  it('limits button value to 2000 characters', () => {
    expect(problemsOf(actions(button({ value: 'v'.repeat(2000) })))).toEqual([]);
    expectOnlyProblemAt(problemsOf(actions(button({ value: 'v'.repeat(2001) }))), '/blocks/0/elements/0/value');
  });

  it('limits action_id to 255 characters', () => {
    expect(problemsOf(actions(button({ action_id: 'a'.repeat(255) })))).toEqual([]);
    expectOnlyProblemAt(problemsOf(actions(button({ action_id: 'a'.repeat(256) }))), '/blocks/0/elements/0/action_id');
  });

  it('limits block_id to 255 characters', () => {
    expect(problemsOf({ ...section('s'), block_id: 'b'.repeat(255) })).toEqual([]);
    expectOnlyProblemAt(problemsOf({ ...section('s'), block_id: 'b'.repeat(256) }), '/blocks/0/block_id');
  });

  it('requires block_ids to be unique within the message', () => {
    expectOnlyProblemAt(
      problemsOf({ ...section('one'), block_id: 'same' }, { ...section('two'), block_id: 'same' }),
      '/blocks/1/block_id',
    );
  });

  it('only allows style primary or danger', () => {
    expect(problemsOf(actions(button({ style: 'primary' }), button({ action_id: 'b', style: 'danger' })))).toEqual([]);
    expectOnlyProblemAt(problemsOf(actions(button({ style: 'warning' }))), '/blocks/0/elements/0/style');
    expectOnlyProblemAt(
      problemsOf(actions(button({ confirm: confirm({ style: 'default' }) }))),
      '/blocks/0/elements/0/confirm/style',
    );
  });

  it('limits the confirm dialog title to 100 characters', () => {
    expect(problemsOf(actions(button({ confirm: confirm({ title: plain('x'.repeat(100)) }) })))).toEqual([]);
    expectOnlyProblemAt(
      problemsOf(actions(button({ confirm: confirm({ title: plain('x'.repeat(101)) }) }))),
      '/blocks/0/elements/0/confirm/title/text',
    );
  });

  it('limits the confirm dialog text to 300 characters and requires it', () => {
    expect(problemsOf(actions(button({ confirm: confirm({ text: plain('x'.repeat(300)) }) })))).toEqual([]);
    expectOnlyProblemAt(
      problemsOf(actions(button({ confirm: confirm({ text: mrkdwn('x'.repeat(301)) }) }))),
      '/blocks/0/elements/0/confirm/text/text',
    );
    expectOnlyProblemAt(
      problemsOf(actions(button({ confirm: { title: plain('t'), confirm: plain('ok'), deny: plain('no') } }))),
      '/blocks/0/elements/0/confirm/text',
    );
  });

  it('limits the confirm dialog confirm/deny buttons to 30 characters', () => {
    expect(
      problemsOf(
        actions(button({ confirm: confirm({ confirm: plain('x'.repeat(30)), deny: plain('y'.repeat(30)) }) })),
      ),
    ).toEqual([]);
    expectOnlyProblemAt(
      problemsOf(actions(button({ confirm: confirm({ confirm: plain('x'.repeat(31)) }) }))),
      '/blocks/0/elements/0/confirm/confirm/text',
    );
    expectOnlyProblemAt(
      problemsOf(actions(button({ confirm: confirm({ deny: plain('y'.repeat(31)) }) }))),
      '/blocks/0/elements/0/confirm/deny/text',
    );
  });

  it('checks text object shapes: type present and known, text a string', () => {
    expectOnlyProblemAt(problemsOf({ type: 'section', text: { text: 'no type' } }), '/blocks/0/text/type');
    expectOnlyProblemAt(problemsOf({ type: 'section', text: { type: 'markdown', text: 'x' } }), '/blocks/0/text/type');
    expectOnlyProblemAt(problemsOf({ type: 'section', text: { type: 'mrkdwn', text: 42 } }), '/blocks/0/text/text');
    expectOnlyProblemAt(problemsOf({ type: 'section', text: { type: 'mrkdwn' } }), '/blocks/0/text/text');
    expectOnlyProblemAt(problemsOf({ type: 'section', text: 'a bare string' }), '/blocks/0/text');
    expectOnlyProblemAt(
      problemsOf({ type: 'section', text: { type: 'mrkdwn', text: 'x', emoji: true } }),
      '/blocks/0/text/emoji',
    );
    expectOnlyProblemAt(
      problemsOf({ type: 'section', text: { type: 'plain_text', text: 'x', verbatim: true } }),
      '/blocks/0/text/verbatim',
    );
    expect(problemsOf({ type: 'section', text: { type: 'plain_text', text: 'x', emoji: true } })).toEqual([]);
  });

  it('flags unknown block types and blocks without a type', () => {
    expectOnlyProblemAt(problemsOf({ type: 'fancy_section', text: mrkdwn('x') }), '/blocks/0/type');
    expectOnlyProblemAt(problemsOf({ text: mrkdwn('x') }), '/blocks/0/type');
  });

  it('counts characters as code points, not UTF-16 units', () => {
    expect(problemsOf(section('😀'.repeat(3000)))).toEqual([]);
  });

  it('reports every problem of a message, not only the first', () => {
    const problems = problemsOf(section('x'.repeat(3001)), actions(button({ value: 'v'.repeat(2001), style: 'blue' })));
    expect(problems).toHaveLength(3);
  });
});
