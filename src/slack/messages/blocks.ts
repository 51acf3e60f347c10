/**
 * Minimal, strict Block Kit types and the constructors every message builder uses, so no builder
 * spells out JSON shapes. Constructors clamp text to Slack's limits as a last safety net; builders
 * plan their layout so the clamp never has to cut anything that matters.
 */

export const LIMITS = {
  blocks: 50,
  /** Top-level `text`: the notification fallback. Slack allows more; we keep it readable. */
  messageText: 3000,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

export interface ConfirmDialog {
  title: PlainText;
  text: PlainText;
  confirm: PlainText;
  deny: PlainText;
  style?: 'primary' | 'danger';
}

export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: PlainText;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}

export interface SectionBlock {
  type: 'section';
  text?: MrkdwnText;
  fields?: MrkdwnText[];
}

export interface ContextBlock {
  type: 'context';
  elements: MrkdwnText[];
}

export interface HeaderBlock {
  type: 'header';
  text: PlainText;
}

export interface ActionsBlock {
  type: 'actions';
  block_id?: string;
  elements: ButtonElement[];
}

export type Block = SectionBlock | ContextBlock | HeaderBlock | ActionsBlock;

export interface SlackMessage {
  /** Notification and accessibility fallback: a meaningful sentence, not a placeholder. */
  text: string;
  blocks: Block[];
}

/** Cuts `s` to at most `max` UTF-16 units, ending in …, never splitting a surrogate pair. */
export function clamp(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max - 1;
  const last = s.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${s.slice(0, Math.max(0, cut))}…`;
}

function plain(text: string, max: number = LIMITS.sectionText): PlainText {
  return { type: 'plain_text', text: clamp(text, max), emoji: true };
}

function mrkdwn(text: string, max: number = LIMITS.sectionText): MrkdwnText {
  return { type: 'mrkdwn', text: clamp(text, max) };
}

export function section(text: string): SectionBlock {
  // Slack refuses an empty section text.
  return { type: 'section', text: mrkdwn(text.trim() === '' ? '_(nothing)_' : text) };
}

/** A section of label/value pairs shown in two columns (at most 10). */
export function fields(items: readonly string[]): SectionBlock {
  return { type: 'section', fields: items.slice(0, LIMITS.fields).map((t) => mrkdwn(t, LIMITS.fieldText)) };
}

export function context(...texts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(t, LIMITS.contextText)),
  };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(text, LIMITS.headerText) };
}

export function actions(blockId: string, ...elements: ButtonElement[]): ActionsBlock {
  return {
    type: 'actions',
    block_id: clamp(blockId, LIMITS.blockId),
    elements: elements.slice(0, LIMITS.actionsElements),
  };
}

export interface ConfirmSpec {
  title: string;
  text: string;
  confirm: string;
  deny: string;
  style?: 'primary' | 'danger';
}

export interface ButtonSpec {
  actionId: string;
  text: string;
  /** Must stay whole: it identifies what the button acts on. At most 2000 characters. */
  value: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmSpec;
}

export function button(spec: ButtonSpec): ButtonElement {
  if (spec.value.length > LIMITS.buttonValue) {
    throw new RangeError(`button value is ${spec.value.length} characters, Slack allows ${LIMITS.buttonValue}`);
  }
  const element: ButtonElement = {
    type: 'button',
    action_id: spec.actionId,
    text: plain(spec.text, LIMITS.buttonText),
    value: spec.value,
  };
  if (spec.style) element.style = spec.style;
  if (spec.confirm) {
    const c = spec.confirm;
    element.confirm = {
      title: plain(c.title, LIMITS.confirmTitle),
      text: plain(c.text, LIMITS.confirmText),
      confirm: plain(c.confirm, LIMITS.confirmButton),
      deny: plain(c.deny, LIMITS.confirmButton),
    };
    if (c.style) element.confirm.style = c.style;
  }
  return element;
}

/**
 * The message itself: `text` clamped, and at most 50 blocks. Builders plan to stay under 50; if
 * they ever do not, the tail is replaced by a note rather than Slack refusing the whole message.
 */
export function slackMessage(text: string, blocks: Block[]): SlackMessage {
  let kept = blocks;
  if (blocks.length > LIMITS.blocks) {
    const shown = blocks.slice(0, LIMITS.blocks - 1);
    kept = [...shown, context(`_…${blocks.length - shown.length} more blocks not shown_`)];
  }
  return { text: clamp(text.trim() === '' ? 'hbr-bot' : text, LIMITS.messageText), blocks: kept };
}

/**
 * Packs lines into as few section texts as possible, each at most `max` characters, joined by
 * `separator`. A single line longer than `max` is clamped.
 */
export function packLines(lines: readonly string[], max: number = LIMITS.sectionText, separator = '\n'): string[] {
  const texts: string[] = [];
  let current: string | null = null;
  for (const raw of lines) {
    const line = clamp(raw, max);
    if (current === null) current = line;
    else if (current.length + separator.length + line.length <= max) current += separator + line;
    else {
      texts.push(current);
      current = line;
    }
  }
  if (current !== null) texts.push(current);
  return texts;
}

/** Text for one section and how many listed items (instances) it carries. */
export interface Piece {
  text: string;
  count: number;
}

/** packLines for pieces: merges consecutive pieces into sections of at most `max` characters. */
export function packPieces(pieces: readonly Piece[], max: number = LIMITS.sectionText, separator = '\n'): Piece[] {
  const packed: Piece[] = [];
  let current: Piece | null = null;
  for (const piece of pieces) {
    const text = clamp(piece.text, max);
    if (current === null) current = { text, count: piece.count };
    else if (current.text.length + separator.length + text.length <= max) {
      current = { text: current.text + separator + text, count: current.count + piece.count };
    } else {
      packed.push(current);
      current = { text, count: piece.count };
    }
  }
  if (current !== null) packed.push(current);
  return packed;
}

/**
 * At most `budget` sections: if there are more, the first `budget - 1` are kept (one block is left
 * for a note) and `omitted` says how many items the dropped ones carried.
 */
export function fitPieces(pieces: readonly Piece[], budget: number): { kept: Piece[]; omitted: number } {
  if (pieces.length <= budget) return { kept: [...pieces], omitted: 0 };
  const kept = pieces.slice(0, Math.max(0, budget - 1));
  const omitted = pieces.slice(kept.length).reduce((sum, p) => sum + p.count, 0);
  return { kept, omitted };
}
