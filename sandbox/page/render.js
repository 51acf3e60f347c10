// Block Kit and mrkdwn, drawn the way Slack's client draws them, with DOM nodes only: every piece of
// text goes in through textContent, so nothing a message carries can become markup.

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

export function decodeEntities(text) {
  return text.replace(/&(?:amp|lt|gt);/g, (entity) => ENTITIES[entity]);
}

const EMOJI = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  ballot_box_with_check: '☑️',
  x: '❌',
  negative_squared_cross_mark: '❎',
  warning: '⚠️',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  stopwatch: '⏱️',
  alarm_clock: '⏰',
  clock3: '🕒',
  information_source: 'ℹ️',
  rocket: '🚀',
  lock: '🔒',
  unlock: '🔓',
  key: '🔑',
  bell: '🔔',
  question: '❓',
  grey_question: '❔',
  exclamation: '❗',
  heavy_exclamation_mark: '❗',
  red_circle: '🔴',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  large_blue_circle: '🔵',
  white_circle: '⚪',
  black_circle: '⚫',
  arrows_counterclockwise: '🔄',
  repeat: '🔁',
  recycle: '♻️',
  wastebasket: '🗑️',
  gear: '⚙️',
  wrench: '🔧',
  hammer_and_wrench: '🛠️',
  package: '📦',
  floppy_disk: '💾',
  cloud: '☁️',
  computer: '💻',
  desktop_computer: '🖥️',
  file_cabinet: '🗄️',
  card_file_box: '🗃️',
  mag: '🔍',
  eyes: '👀',
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  thumbsdown: '👎',
  tada: '🎉',
  sparkles: '✨',
  zap: '⚡',
  fire: '🔥',
  broom: '🧹',
  memo: '📝',
  pencil2: '✏️',
  clipboard: '📋',
  link: '🔗',
  bulb: '💡',
  shield: '🛡️',
  construction: '🚧',
  rotating_light: '🚨',
  heavy_minus_sign: '➖',
  heavy_plus_sign: '➕',
  arrow_right: '➡️',
  arrow_forward: '▶️',
  fast_forward: '⏩',
  pause_button: '⏸️',
  stop_button: '⏹️',
  zzz: '💤',
  wave: '👋',
  raised_hand: '✋',
  leftwards_arrow_with_hook: '↩️',
  calendar: '📆',
  date: '📅',
  spiral_calendar_pad: '🗓️',
  bust_in_silhouette: '👤',
  busts_in_silhouette: '👥',
  robot_face: '🤖',
  label: '🏷️',
  bookmark: '🔖',
  satellite: '📡',
  electric_plug: '🔌',
  card_index_dividers: '🗂️',
  inbox_tray: '📥',
  outbox_tray: '📤',
  ok: '🆗',
  new: '🆕',
  heavy_multiplication_x: '✖️',
  small_orange_diamond: '🔸',
  small_blue_diamond: '🔹',
  checkered_flag: '🏁',
};

export function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const SAFE_LINK = /^(https?:|mailto:)/i;

/** A link only when the scheme is harmless; otherwise its label as text. */
function link(url, label) {
  if (!SAFE_LINK.test(url)) return el('span', 'link-refused', label);
  const a = el('a', 'link', label);
  a.href = url;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

function mention(className, text, title) {
  const node = el('span', `mention mention-${className}`, text);
  if (title) node.title = title;
  return node;
}

function splitLabel(content) {
  const bar = content.indexOf('|');
  return bar === -1 ? [content, null] : [content.slice(0, bar), content.slice(bar + 1)];
}

/** Formats a <!date^…> token without a fallback, in the reader's time zone. */
function localDate(seconds) {
  const date = new Date(Number(seconds) * 1000);
  return Number.isNaN(date.getTime())
    ? 'an unknown time'
    : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

/** `<…>` tokens: mentions, channels, user groups, dates, specials and links. */
function angle(content, ctx) {
  const [target, label] = splitLabel(content);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return mention('user', `@${label ?? ctx.userName(id)}`, id);
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return mention('channel', `#${label ?? ctx.channelName(id)}`, id);
  }
  if (target.startsWith('!')) {
    const [kind, ...rest] = target.slice(1).split('^');
    if (kind === 'subteam') {
      const id = rest[0] ?? '';
      return mention('group', label ? (label.startsWith('@') ? label : `@${label}`) : `@${ctx.groupName(id)}`, id);
    }
    if (kind === 'date') {
      const node = el('span', 'date', decodeEntities(label ?? localDate(rest[0])));
      node.title = localDate(rest[0]);
      return node;
    }
    if (kind === 'here' || kind === 'channel' || kind === 'everyone') return mention('special', `@${kind}`);
    return document.createTextNode(decodeEntities(label ?? kind));
  }
  const url = decodeEntities(target);
  return link(url, decodeEntities(label ?? url));
}

const INLINE =
  /`([^`\n]+)`|<([^<>\n]+)>|(?<![\p{L}\p{N}*])\*(?=\S)([^*\n]*?\S)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}~])~(?=\S)([^~\n]*?\S)~(?![\p{L}\p{N}~])/gu;

function appendText(parent, text) {
  const lines = emojify(decodeEntities(text)).split('\n');
  lines.forEach((line, index) => {
    if (index > 0) parent.append(document.createElement('br'));
    if (line !== '') parent.append(document.createTextNode(line));
  });
}

function appendInline(parent, text, ctx) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) appendText(parent, text.slice(last, match.index));
    const [, code, token, bold, italic, strike] = match;
    // Short code (an instance ID) stays on one line, as in Slack; a long one may wrap anywhere.
    if (code !== undefined)
      parent.append(el('code', code.length > 48 ? 'inline-code long' : 'inline-code', decodeEntities(code)));
    else if (token !== undefined) parent.append(angle(token, ctx));
    else {
      const node = el(bold !== undefined ? 'b' : italic !== undefined ? 'i' : 's');
      appendInline(node, bold ?? italic ?? strike, ctx);
      parent.append(node);
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) appendText(parent, text.slice(last));
}

/** Lines starting with `>` form a quote; the rest is inline text. */
function appendParagraphs(parent, text, ctx) {
  const lines = text.split('\n');
  let buffer = [];
  let quote = null;
  const flush = () => {
    if (buffer.length > 0) appendInline(quote ?? parent, buffer.join('\n'), ctx);
    buffer = [];
  };
  for (const line of lines) {
    const quoted = /^>\s?/.exec(line);
    if (quoted && quote === null) {
      flush();
      quote = el('blockquote');
      parent.append(quote);
    } else if (!quoted && quote !== null) {
      flush();
      quote = null;
    }
    buffer.push(quoted ? line.slice(quoted[0].length) : line);
  }
  flush();
}

/** mrkdwn text → a <div class="mrkdwn">. */
export function mrkdwn(text, ctx) {
  const root = el('div', 'mrkdwn');
  let last = 0;
  for (const match of text.matchAll(/```\n?([\s\S]*?)\n?```/g)) {
    if (match.index > last) appendParagraphs(root, text.slice(last, match.index).replace(/^\n|\n$/g, ''), ctx);
    root.append(el('pre', 'code-block', decodeEntities(match[1])));
    last = match.index + match[0].length;
  }
  if (last < text.length) appendParagraphs(root, text.slice(last).replace(/^\n/, ''), ctx);
  return root;
}

/** A text object (plain_text or mrkdwn). */
export function textObject(object, ctx, className = '') {
  if (!object || typeof object.text !== 'string') return el('span', className);
  if (object.type === 'mrkdwn') {
    const node = mrkdwn(object.text, ctx);
    if (className) node.classList.add(className);
    return node;
  }
  return el('span', `plain ${className}`.trim(), object.emoji === false ? object.text : emojify(object.text));
}

function button(element, blockId, ctx) {
  const node = el('button', `btn ${element.style ?? 'default'}`);
  node.type = 'button';
  node.append(textObject(element.text, ctx));
  node.dataset.actionId = element.action_id ?? '';
  node.dataset.blockId = blockId;
  if (element.accessibility_label) node.setAttribute('aria-label', element.accessibility_label);
  if (element.confirm) node.dataset.confirm = 'true';
  node.addEventListener('click', () => ctx.onButton(element, blockId, node));
  return node;
}

const ELEMENT_NAMES = {
  static_select: 'a menu',
  external_select: 'a menu',
  users_select: 'a user menu',
  conversations_select: 'a conversation menu',
  channels_select: 'a channel menu',
  multi_static_select: 'a menu',
  overflow: 'an overflow menu',
  datepicker: 'a date picker',
  timepicker: 'a time picker',
  checkboxes: 'checkboxes',
  radio_buttons: 'radio buttons',
  plain_text_input: 'a text input',
};

function element(element, blockId, ctx) {
  if (element.type === 'button') return button(element, blockId, ctx);
  if (element.type === 'image') {
    const img = el('img', 'context-image');
    img.src = element.image_url ?? '';
    img.alt = element.alt_text ?? '';
    return img;
  }
  const label =
    element.placeholder?.text ?? element.initial_option?.text?.text ?? ELEMENT_NAMES[element.type] ?? element.type;
  const node = el('span', 'element-stand-in', label);
  node.title = `${ELEMENT_NAMES[element.type] ?? element.type} (not interactive in the sandbox)`;
  return node;
}

function richTextElements(parent, elements, ctx) {
  for (const item of elements ?? []) {
    let node;
    switch (item.type) {
      case 'text':
        node = el('span', '', item.text ?? '');
        break;
      case 'link':
        node = link(item.url ?? '', item.text ?? item.url ?? '');
        break;
      case 'user':
        node = mention('user', `@${ctx.userName(item.user_id)}`, item.user_id);
        break;
      case 'usergroup':
        node = mention('group', `@${ctx.groupName(item.usergroup_id)}`, item.usergroup_id);
        break;
      case 'channel':
        node = mention('channel', `#${ctx.channelName(item.channel_id)}`, item.channel_id);
        break;
      case 'broadcast':
        node = mention('special', `@${item.range ?? 'here'}`);
        break;
      case 'emoji':
        node = el(
          'span',
          'emoji',
          item.unicode
            ? String.fromCodePoint(...item.unicode.split('-').map((h) => parseInt(h, 16)))
            : emojify(`:${item.name}:`),
        );
        break;
      case 'date':
        node = el('span', 'date', item.fallback ?? localDate(item.timestamp));
        break;
      default:
        node = el('span', '', item.text ?? '');
    }
    const style = item.style ?? {};
    if (style.code) node = wrap('code', 'inline-code', node);
    if (style.bold) node = wrap('b', '', node);
    if (style.italic) node = wrap('i', '', node);
    if (style.strike) node = wrap('s', '', node);
    parent.append(node);
  }
}

function wrap(tag, className, child) {
  const node = el(tag, className);
  node.append(child);
  return node;
}

function richText(block, ctx) {
  const root = el('div', 'rich-text');
  for (const part of block.elements ?? []) {
    if (part.type === 'rich_text_list') {
      const list = el(part.style === 'ordered' ? 'ol' : 'ul');
      list.style.marginLeft = `${(part.indent ?? 0) * 16}px`;
      for (const item of part.elements ?? []) {
        const li = el('li');
        richTextElements(li, item.elements, ctx);
        list.append(li);
      }
      root.append(list);
    } else {
      const node = el(
        part.type === 'rich_text_preformatted' ? 'pre' : part.type === 'rich_text_quote' ? 'blockquote' : 'div',
        part.type === 'rich_text_preformatted' ? 'code-block' : '',
      );
      richTextElements(node, part.elements, ctx);
      root.append(node);
    }
  }
  return root;
}

function block(block, index, ctx) {
  const blockId = typeof block.block_id === 'string' ? block.block_id : `b${index}`;
  switch (block.type) {
    case 'section': {
      const node = el('div', 'block section');
      const main = el('div', 'section-main');
      if (block.text) main.append(textObject(block.text, ctx, 'section-text'));
      if (Array.isArray(block.fields) && block.fields.length > 0) {
        const fields = el('div', 'fields');
        for (const field of block.fields) fields.append(textObject(field, ctx, 'field'));
        main.append(fields);
      }
      node.append(main);
      if (block.accessory) {
        const accessory = el('div', 'accessory');
        accessory.append(
          block.accessory.type === 'image' ? sectionImage(block.accessory) : element(block.accessory, blockId, ctx),
        );
        node.append(accessory);
      }
      return node;
    }
    case 'header':
      return wrap('div', 'block header', textObject(block.text, ctx));
    case 'divider':
      return el('hr', 'block divider');
    case 'context': {
      const node = el('div', 'block context');
      for (const item of block.elements ?? [])
        node.append(item.type === 'image' ? element(item, blockId, ctx) : textObject(item, ctx, 'context-text'));
      return node;
    }
    case 'actions': {
      const node = el('div', 'block actions');
      for (const item of block.elements ?? []) node.append(element(item, blockId, ctx));
      return node;
    }
    case 'image': {
      const node = el('figure', 'block image');
      if (block.title) node.append(textObject(block.title, ctx, 'image-title'));
      node.append(sectionImage(block));
      return node;
    }
    case 'rich_text':
      return wrap('div', 'block', richText(block, ctx));
    case 'markdown':
      return wrap('div', 'block markdown', mrkdwn(String(block.text ?? '').replace(/\*\*(.+?)\*\*/g, '*$1*'), ctx));
    default: {
      const node = el('div', 'block unsupported', `A ${block.type} block (the sandbox page does not draw this kind).`);
      return node;
    }
  }
}

function sectionImage(image) {
  const img = el('img', 'block-image');
  img.src = image.image_url ?? '';
  img.alt = image.alt_text ?? '';
  return img;
}

/**
 * A message's content: its blocks, or its text when it has none (as Slack does).
 * ctx: { userName(id), channelName(id), groupName(id), onButton(element, blockId, node) }
 */
export function messageContent(message, ctx) {
  const root = el('div', 'content');
  const blocks = Array.isArray(message.blocks) ? message.blocks : [];
  if (blocks.length === 0) {
    root.append(mrkdwn(message.text ?? '', ctx));
    return root;
  }
  for (const [index, b] of blocks.entries()) root.append(block(b ?? {}, index, ctx));
  return root;
}
