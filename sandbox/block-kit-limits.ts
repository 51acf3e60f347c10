/**
 * Checks a message payload (chat.postMessage / chat.update / chat.postEphemeral / response_url body)
 * against the Block Kit limits Slack enforces, so that tests fail the way Slack would reject the
 * message in production (`invalid_blocks`), instead of passing against a lenient fake.
 *
 * Limits (Slack Block Kit reference, docs.slack.dev/reference/block-kit, and the JSDoc of @slack/types):
 *
 * | What                                         | Limit                               | Source                          |
 * |----------------------------------------------|-------------------------------------|---------------------------------|
 * | blocks per message                           | 50                                  | Blocks reference ("messages")   |
 * | top-level `text`                             | 40 000 chars (Slack: msg_too_long)  | chat.postMessage "text" arg     |
 * | message with neither text nor blocks         | rejected (Slack: no_text)           | chat.postMessage errors         |
 * | `block_id`                                   | string, <= 255 chars, unique in msg | Block object, every block       |
 * | section `text`                               | 1..3000 chars                       | Section block                   |
 * | section `fields`                             | 1..10 items, each 1..2000 chars     | Section block                   |
 * | section                                      | needs `text` or `fields`            | Section block                   |
 * | header `text`                                | plain_text, 1..150 chars            | Header block                    |
 * | context `elements`                           | 1..10 (text objects or images)      | Context block                   |
 * | actions `elements`                           | 1..25, action_ids unique in block   | Actions block                   |
 * | image block                                  | alt_text <= 2000, image_url <= 3000, title <= 2000 | Image block      |
 * | input block                                  | label plain_text <= 2000, hint <= 2000, element required | Input block |
 * | markdown block `text`                        | <= 12 000 chars, cumulative per msg | Markdown block                  |
 * | button `text`                                | plain_text, 1..75 chars             | Button element                  |
 * | button `value`                               | <= 2000 chars                       | Button element                  |
 * | button `url`                                 | <= 3000 chars                       | Button element                  |
 * | button `accessibility_label`                 | <= 75 chars                         | Button element                  |
 * | `action_id` (any interactive element)        | <= 255 chars                        | Block elements                  |
 * | `style` (button, workflow_button, confirm)   | only "primary" or "danger"          | Button / Confirmation dialog    |
 * | confirm `title`                              | plain_text, <= 100 chars            | Confirmation dialog object      |
 * | confirm `text`                               | plain_text or mrkdwn, <= 300 chars (required) | Confirmation dialog   |
 * | confirm `confirm` / `deny`                   | plain_text, <= 30 chars each        | Confirmation dialog object      |
 * | overflow `options`                           | 1..5                                | Overflow menu element           |
 * | checkboxes / radio_buttons `options`         | 1..10                               | Checkboxes / Radio elements     |
 * | static_select `options`                      | <= 100                              | Select menu element             |
 * | option `text` / `value`                      | text <= 75 chars, value <= 150      | Option object                   |
 * | text object                                  | type plain_text|mrkdwn, text a string of 1..3000 chars; `emoji` only on plain_text, `verbatim` only on mrkdwn | Text object |
 *
 * Lengths are counted in Unicode code points. Problem strings end with Slack's own
 * `[json-pointer:/blocks/0/text/text]` notation so a failure names the offending field.
 */

const LIMITS = {
  blocksPerMessage: 50,
  topLevelText: 40_000,
  blockId: 255,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  imageAltText: 2000,
  imageUrl: 3000,
  imageTitle: 2000,
  inputLabel: 2000,
  inputHint: 2000,
  markdownTotal: 12_000,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  buttonAccessibilityLabel: 75,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  overflowOptions: 5,
  choiceOptions: 10,
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  textObject: 3000,
} as const;

/** Block types Slack knows (the KnownBlock union of @slack/types 2.x/3.x). Anything else is rejected. */
const KNOWN_BLOCK_TYPES = new Set([
  'actions',
  'alert',
  'card',
  'carousel',
  'container',
  'context',
  'context_actions',
  'data_table',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'task_card',
  'plan',
  'video',
]);

/** Select menus, allowed both in actions blocks and as section accessories. */
const SELECT_TYPES = [
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'multi_static_select',
  'multi_external_select',
  'multi_users_select',
  'multi_conversations_select',
  'multi_channels_select',
];

/** Interactive elements allowed in an actions block. */
const ACTIONS_ELEMENT_TYPES = new Set([
  'button',
  'checkboxes',
  'datepicker',
  'datetimepicker',
  'overflow',
  'radio_buttons',
  'timepicker',
  'workflow_button',
  'rich_text_input',
  ...SELECT_TYPES,
]);

/** Elements allowed as a section accessory. */
const ACCESSORY_TYPES = new Set([
  'button',
  'checkboxes',
  'datepicker',
  'image',
  'overflow',
  'radio_buttons',
  'timepicker',
  'workflow_button',
  ...SELECT_TYPES,
]);

const STYLES = new Set(['primary', 'danger']);

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function charCount(value: string): number {
  let n = 0;
  for (const _ of value) n += 1;
  return n;
}

class Checker {
  readonly problems: string[] = [];
  markdownChars = 0;
  markdownPointer = '';

  add(pointer: string, problem: string): void {
    this.problems.push(`${problem} [json-pointer:${pointer}]`);
  }

  /** A string field with a maximum length (and optionally required / non-empty). */
  stringField(owner: Obj, key: string, pointer: string, max: number, opts: { required?: boolean } = {}): void {
    const value = owner[key];
    const at = `${pointer}/${key}`;
    if (value === undefined) {
      if (opts.required) this.add(at, `missing required field "${key}"`);
      return;
    }
    if (typeof value !== 'string') {
      this.add(at, `"${key}" must be a string (got ${typeof value})`);
      return;
    }
    const length = charCount(value);
    if (opts.required && length === 0) this.add(at, `"${key}" must not be empty`);
    if (length > max) this.add(at, `"${key}" must be at most ${max} characters (got ${length})`);
  }

  /**
   * A text composition object: { type: 'plain_text' | 'mrkdwn', text: string (1..max) }.
   * `kinds` restricts the allowed types (e.g. header and button text must be plain_text).
   */
  textObject(value: unknown, pointer: string, max: number, kinds: ReadonlyArray<'plain_text' | 'mrkdwn'>): void {
    if (!isObject(value)) {
      this.add(pointer, `must be a text object ({ type, text }), got ${value === null ? 'null' : typeof value}`);
      return;
    }
    const type = value.type;
    if (type === undefined) {
      this.add(`${pointer}/type`, 'text object is missing "type"');
    } else if (type !== 'plain_text' && type !== 'mrkdwn') {
      this.add(`${pointer}/type`, `text object type must be plain_text or mrkdwn (got ${JSON.stringify(type)})`);
    } else if (!kinds.includes(type)) {
      this.add(`${pointer}/type`, `text object type must be ${kinds.join(' or ')} here (got ${type})`);
    }
    const text = value.text;
    if (text === undefined) {
      this.add(`${pointer}/text`, 'text object is missing "text"');
    } else if (typeof text !== 'string') {
      this.add(`${pointer}/text`, `text object "text" must be a string (got ${typeof text})`);
    } else {
      const length = charCount(text);
      if (length === 0) this.add(`${pointer}/text`, 'text must be at least 1 character');
      if (length > max) this.add(`${pointer}/text`, `text must be at most ${max} characters (got ${length})`);
    }
    if (type === 'mrkdwn' && value.emoji !== undefined) {
      this.add(`${pointer}/emoji`, '"emoji" is only allowed on plain_text objects');
    }
    if (type === 'plain_text' && value.verbatim !== undefined) {
      this.add(`${pointer}/verbatim`, '"verbatim" is only allowed on mrkdwn objects');
    }
    if (value.emoji !== undefined && typeof value.emoji !== 'boolean') {
      this.add(`${pointer}/emoji`, '"emoji" must be a boolean');
    }
  }

  style(owner: Obj, pointer: string): void {
    const style = owner.style;
    if (style !== undefined && (typeof style !== 'string' || !STYLES.has(style))) {
      this.add(`${pointer}/style`, `style must be "primary" or "danger" (got ${JSON.stringify(style)})`);
    }
  }

  confirm(value: unknown, pointer: string): void {
    if (!isObject(value)) {
      this.add(pointer, 'confirm must be a confirmation dialog object');
      return;
    }
    if (value.title !== undefined)
      this.textObject(value.title, `${pointer}/title`, LIMITS.confirmTitle, ['plain_text']);
    if (value.text === undefined) this.add(`${pointer}/text`, 'confirmation dialog is missing "text"');
    else this.textObject(value.text, `${pointer}/text`, LIMITS.confirmText, ['plain_text', 'mrkdwn']);
    if (value.confirm !== undefined) {
      this.textObject(value.confirm, `${pointer}/confirm`, LIMITS.confirmButton, ['plain_text']);
    }
    if (value.deny !== undefined) this.textObject(value.deny, `${pointer}/deny`, LIMITS.confirmButton, ['plain_text']);
    this.style(value, pointer);
  }

  options(owner: Obj, key: string, pointer: string, max: number, min: number): void {
    const options = owner[key];
    const at = `${pointer}/${key}`;
    if (options === undefined) {
      if (min > 0) this.add(at, `missing required field "${key}"`);
      return;
    }
    if (!Array.isArray(options)) {
      this.add(at, `"${key}" must be an array`);
      return;
    }
    if (options.length < min) this.add(at, `"${key}" must have at least ${min} item(s)`);
    if (options.length > max) this.add(at, `"${key}" must have at most ${max} items (got ${options.length})`);
    options.forEach((option, i) => {
      const optionPointer = `${at}/${i}`;
      if (!isObject(option)) {
        this.add(optionPointer, 'option must be an object');
        return;
      }
      this.textObject(option.text, `${optionPointer}/text`, LIMITS.optionText, ['plain_text', 'mrkdwn']);
      this.stringField(option, 'value', optionPointer, LIMITS.optionValue);
    });
  }

  imageElement(value: Obj, pointer: string): void {
    this.stringField(value, 'alt_text', pointer, LIMITS.imageAltText, { required: true });
    if (value.image_url === undefined && value.slack_file === undefined) {
      this.add(pointer, 'image needs "image_url" or "slack_file"');
    }
    this.stringField(value, 'image_url', pointer, LIMITS.imageUrl);
  }

  /** Any block element (interactive or image). */
  element(value: unknown, pointer: string, allowed: ReadonlySet<string>, where: string): void {
    if (!isObject(value)) {
      this.add(pointer, 'element must be an object');
      return;
    }
    const type = value.type;
    if (typeof type !== 'string') {
      this.add(`${pointer}/type`, 'element is missing "type"');
      return;
    }
    if (!allowed.has(type)) {
      this.add(`${pointer}/type`, `element type ${JSON.stringify(type)} is not allowed in ${where}`);
      return;
    }
    if (type === 'image') {
      this.imageElement(value, pointer);
      return;
    }
    this.stringField(value, 'action_id', pointer, LIMITS.actionId);
    if (value.confirm !== undefined) this.confirm(value.confirm, `${pointer}/confirm`);
    switch (type) {
      case 'button':
        this.textObject(value.text, `${pointer}/text`, LIMITS.buttonText, ['plain_text']);
        this.stringField(value, 'value', pointer, LIMITS.buttonValue);
        this.stringField(value, 'url', pointer, LIMITS.buttonUrl);
        this.stringField(value, 'accessibility_label', pointer, LIMITS.buttonAccessibilityLabel);
        this.style(value, pointer);
        break;
      case 'workflow_button':
        this.textObject(value.text, `${pointer}/text`, LIMITS.buttonText, ['plain_text']);
        this.style(value, pointer);
        break;
      case 'overflow':
        this.options(value, 'options', pointer, LIMITS.overflowOptions, 1);
        break;
      case 'checkboxes':
      case 'radio_buttons':
        this.options(value, 'options', pointer, LIMITS.choiceOptions, 1);
        break;
      case 'static_select':
      case 'multi_static_select':
        if (value.option_groups === undefined) this.options(value, 'options', pointer, LIMITS.selectOptions, 1);
        break;
      default:
        break;
    }
  }

  block(value: unknown, index: number, blockIds: Map<string, number>): void {
    const pointer = `/blocks/${index}`;
    if (!isObject(value)) {
      this.add(pointer, 'block must be an object');
      return;
    }
    const type = value.type;
    if (typeof type !== 'string') {
      this.add(`${pointer}/type`, 'block is missing "type"');
      return;
    }
    if (!KNOWN_BLOCK_TYPES.has(type)) {
      this.add(`${pointer}/type`, `unknown block type ${JSON.stringify(type)}`);
      return;
    }
    if (value.block_id !== undefined) {
      this.stringField(value, 'block_id', pointer, LIMITS.blockId);
      if (typeof value.block_id === 'string') {
        const previous = blockIds.get(value.block_id);
        if (previous !== undefined) {
          this.add(
            `${pointer}/block_id`,
            `block_id ${JSON.stringify(value.block_id)} is not unique (also /blocks/${previous})`,
          );
        } else {
          blockIds.set(value.block_id, index);
        }
      }
    }
    switch (type) {
      case 'section':
        this.section(value, pointer);
        break;
      case 'header':
        if (value.text === undefined) this.add(`${pointer}/text`, 'header is missing "text"');
        else this.textObject(value.text, `${pointer}/text`, LIMITS.headerText, ['plain_text']);
        break;
      case 'context':
        this.list(value, 'elements', pointer, LIMITS.contextElements, (element, at) => {
          if (isObject(element) && element.type === 'image') this.imageElement(element, at);
          else this.textObject(element, at, LIMITS.textObject, ['plain_text', 'mrkdwn']);
        });
        break;
      case 'actions': {
        const actionIds = new Map<string, number>();
        this.list(value, 'elements', pointer, LIMITS.actionsElements, (element, at, i) => {
          this.element(element, at, ACTIONS_ELEMENT_TYPES, 'an actions block');
          if (isObject(element) && typeof element.action_id === 'string') {
            const previous = actionIds.get(element.action_id);
            if (previous !== undefined) {
              this.add(
                `${at}/action_id`,
                `action_id ${JSON.stringify(element.action_id)} is not unique in this block (also elements/${previous})`,
              );
            } else {
              actionIds.set(element.action_id, i);
            }
          }
        });
        break;
      }
      case 'image':
        this.imageElement(value, pointer);
        if (value.title !== undefined)
          this.textObject(value.title, `${pointer}/title`, LIMITS.imageTitle, ['plain_text']);
        break;
      case 'input':
        if (value.label === undefined) this.add(`${pointer}/label`, 'input is missing "label"');
        else this.textObject(value.label, `${pointer}/label`, LIMITS.inputLabel, ['plain_text']);
        if (value.hint !== undefined) this.textObject(value.hint, `${pointer}/hint`, LIMITS.inputHint, ['plain_text']);
        if (!isObject(value.element)) this.add(`${pointer}/element`, 'input is missing "element"');
        break;
      case 'markdown':
        if (typeof value.text !== 'string' || value.text.length === 0) {
          this.add(`${pointer}/text`, 'markdown block needs a non-empty string "text"');
        } else {
          this.markdownChars += charCount(value.text);
          if (this.markdownChars > LIMITS.markdownTotal && this.markdownPointer === '') {
            this.markdownPointer = `${pointer}/text`;
            this.add(this.markdownPointer, `markdown blocks must total at most ${LIMITS.markdownTotal} characters`);
          }
        }
        break;
      case 'rich_text':
        if (!Array.isArray(value.elements)) this.add(`${pointer}/elements`, 'rich_text is missing "elements"');
        break;
      default:
        // divider and the remaining known types carry no limits we model.
        break;
    }
  }

  section(value: Obj, pointer: string): void {
    if (value.text === undefined && value.fields === undefined) {
      this.add(pointer, 'section needs "text" or "fields"');
    }
    if (value.text !== undefined) {
      this.textObject(value.text, `${pointer}/text`, LIMITS.sectionText, ['plain_text', 'mrkdwn']);
    }
    if (value.fields !== undefined) {
      this.list(value, 'fields', pointer, LIMITS.sectionFields, (field, at) => {
        this.textObject(field, at, LIMITS.sectionFieldText, ['plain_text', 'mrkdwn']);
      });
    }
    if (value.accessory !== undefined) {
      this.element(value.accessory, `${pointer}/accessory`, ACCESSORY_TYPES, 'a section accessory');
    }
  }

  /** A required, non-empty array with a maximum size whose items are checked by `each`. */
  list(
    owner: Obj,
    key: string,
    pointer: string,
    max: number,
    each: (item: unknown, at: string, i: number) => void,
  ): void {
    const items = owner[key];
    const at = `${pointer}/${key}`;
    if (!Array.isArray(items)) {
      this.add(at, `"${key}" must be an array`);
      return;
    }
    if (items.length === 0) this.add(at, `"${key}" must have at least 1 item`);
    if (items.length > max) this.add(at, `"${key}" must have at most ${max} items (got ${items.length})`);
    for (const [i, item] of items.entries()) each(item, `${at}/${i}`, i);
  }
}

/**
 * Returns human-readable problems with `message` as Slack would see it; an empty array means Slack accepts it.
 */
export function blockKitProblems(message: { text?: string; blocks?: unknown[] }): string[] {
  const checker = new Checker();
  if (!isObject(message)) {
    checker.add('', 'message must be an object');
    return checker.problems;
  }
  const { text, blocks } = message as Obj;

  if (text !== undefined && text !== null) {
    if (typeof text !== 'string') {
      checker.add('/text', `"text" must be a string (got ${typeof text})`);
    } else {
      const length = charCount(text);
      if (length > LIMITS.topLevelText) {
        checker.add('/text', `"text" must be at most ${LIMITS.topLevelText} characters (got ${length})`);
      }
    }
  }

  const hasText = typeof text === 'string' && text.length > 0;
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  if (!hasText && !hasBlocks) {
    checker.add('', 'message has neither "text" nor "blocks" (Slack: no_text)');
  }

  if (blocks !== undefined && blocks !== null) {
    if (!Array.isArray(blocks)) {
      checker.add('/blocks', '"blocks" must be an array');
    } else {
      if (blocks.length > LIMITS.blocksPerMessage) {
        checker.add('/blocks', `a message may have at most ${LIMITS.blocksPerMessage} blocks (got ${blocks.length})`);
      }
      const blockIds = new Map<string, number>();
      for (const [i, block] of blocks.entries()) checker.block(block, i, blockIds);
    }
  }
  return checker.problems;
}
