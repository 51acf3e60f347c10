// The sandbox page: one Slack channel, live. State arrives over server-sent events (/events, one
// stream per user so ephemerals reach only their user); commands and clicks go to /api/*, where the
// sandbox signs them and sends them to the bot exactly as Slack would.
import { el, messageContent, mrkdwn } from './render.js';

const $ = (id) => document.getElementById(id);

const state = {
  user: null,
  snapshot: null,
  messages: new Map(),
  ephemerals: new Map(),
  /** Slackbot notes made by this page (a refused command), for the current user only. */
  notes: [],
  instances: null,
  openThread: null,
  flash: new Set(),
  history: [],
  historyIndex: -1,
};
let source = null;
let renderQueued = false;
let noteCounter = 0;

// --- names -------------------------------------------------------------------------------------

function userById(id) {
  return state.snapshot?.users.find((u) => u.id === id);
}

const ctx = {
  userName: (id) => (id === state.snapshot?.bot.id ? state.snapshot.bot.name : (userById(id)?.name ?? id)),
  channelName: (id) => (id === state.snapshot?.channel.id ? state.snapshot.channel.name : id),
  groupName: (id) => id,
  onButton: (element, blockId, node) => clickButton(element, blockId, node),
};

// --- server --------------------------------------------------------------------------------------

async function post(path, body) {
  try {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await response.json().catch(() => ({ ok: false, message: `HTTP ${response.status}` }));
    if (!response.ok) return { ok: false, error: json.message ?? json.error ?? `HTTP ${response.status}` };
    return json;
  } catch (error) {
    return { ok: false, error: `the sandbox did not answer (${error.message}) — is npm start still running?` };
  }
}

function setLive(live, text) {
  $('live').dataset.state = live;
  $('live-text').textContent = text;
}

function connect() {
  source?.close();
  // Until the new user's snapshot arrives nothing of the previous user's may show: their ephemerals
  // are theirs alone.
  state.ephemerals = new Map();
  setLive('connecting', 'connecting…');
  queueRender();
  source = new EventSource(`/events?user=${encodeURIComponent(state.user)}`);
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse(event.data);
    state.snapshot = snapshot;
    state.user = snapshot.user;
    state.messages = new Map(snapshot.messages.map((m) => [m.ts, m]));
    state.ephemerals = new Map(snapshot.ephemerals.map((e) => [e.ts, e]));
    state.instances = snapshot.instances;
    setLive('live', 'live');
    renderStatic();
    renderInstances();
    renderMessages(true);
  });
  source.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    if (state.messages.has(message.ts)) flash(message.ts);
    state.messages.set(message.ts, message);
    queueRender();
  });
  source.addEventListener('ephemeral', (event) => {
    const ephemeral = JSON.parse(event.data);
    if (state.ephemerals.has(ephemeral.ts)) flash(ephemeral.ts);
    state.ephemerals.set(ephemeral.ts, ephemeral);
    queueRender();
  });
  source.addEventListener('instances', (event) => {
    state.instances = JSON.parse(event.data);
    renderInstances();
  });
  source.addEventListener('error', () => setLive('down', 'reconnecting…'));
}

function flash(ts) {
  state.flash.add(ts);
  setTimeout(() => {
    state.flash.delete(ts);
    for (const node of document.querySelectorAll(`[data-ts="${CSS.escape(ts)}"]`)) node.classList.remove('flash');
  }, 1600);
}

// --- user switcher -----------------------------------------------------------------------------------

function chooseUser(id) {
  if (id === state.user) return;
  state.user = id;
  state.notes = [];
  sessionStorage.setItem('hbr-sandbox-user', id);
  const url = new URL(location.href);
  url.searchParams.set('user', id);
  history.replaceState(null, '', url);
  renderUsers();
  connect();
}

function avatar(name, kind) {
  return el('div', `avatar ${kind}`, kind.startsWith('bot') ? 'H' : (name[0] ?? '?').toUpperCase());
}

/** A <button type="button"> that runs `onClick`. */
function button(className, text, onClick) {
  const node = el('button', className, text);
  node.type = 'button';
  node.addEventListener('click', onClick);
  return node;
}

function renderUsers() {
  const list = $('users');
  list.replaceChildren();
  for (const user of state.snapshot?.users ?? []) {
    const item = button('person', undefined, () => chooseUser(user.id));
    item.setAttribute('role', 'radio');
    item.setAttribute('aria-checked', String(user.id === state.user));
    item.dataset.user = user.id;
    const line = el('div');
    line.append(el('span', 'user-name', `@${user.name}`), el('span', `role ${user.role}`, user.role));
    const text = el('div', 'user-text');
    text.append(line, el('div', 'user-note', user.note));
    item.append(avatar(user.name, user.role), text);
    list.append(item);
  }
}

// --- instances panel ---------------------------------------------------------------------------------

function seconds(ms) {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function taskText(task) {
  if (task === null) return null;
  const verb = task.kind === 'install' ? 'install' : 'uninstall';
  if (task.outcome === null) return `${verb} task running · ${task.progress}%`;
  return `${verb} task ${task.outcome}`;
}

function renderInstances() {
  const view = state.instances;
  if (!view) return;
  $('region').textContent = `· ${view.region}`;
  const poll = view.poll;
  $('cadence').textContent =
    `HBR stand-in. hbr-bot polls DescribeTask ${seconds(poll.firstDelayMs)} after the install call, then every ${seconds(poll.intervalMs)}, and gives up after ${seconds(poll.taskTimeoutMs)}.`;
  const list = $('instances');
  const focused = document.activeElement?.closest?.('.instance')?.dataset.instance;
  list.replaceChildren();
  for (const instance of view.instances) {
    const item = el('li', `instance state-${instance.state}${instance.client ? ' has-client' : ''}`);
    item.dataset.instance = instance.id;
    item.title = instance.note;

    const select = el('select', 'state-select');
    select.setAttribute('aria-label', `State of ${instance.name}`);
    for (const { state: value, note } of view.states) {
      const option = el('option', '', value);
      option.value = value;
      option.title = note;
      option.selected = value === instance.state;
      select.append(option);
    }
    select.addEventListener('change', async () => {
      const answer = await post('/api/instances', { instanceId: instance.id, state: select.value });
      if (answer.ok === false) addNote(answer.error);
    });
    const head = el('div', 'instance-head');
    head.append(el('span', 'instance-name', instance.name), select);

    const add = button('add', '+', () => addToComposer([instance.id]));
    add.title = 'Add this ID to the message';
    add.setAttribute('aria-label', `Add ${instance.name} to the message`);
    const idLine = el('div', 'instance-id-line');
    idLine.append(el('code', '', instance.id), add);

    const parts = [instance.note, taskText(instance.task)];
    if (instance.client) parts.push(`HBR client ${instance.client.status} ${instance.client.version}`);
    item.append(head, idLine, el('div', 'instance-status', parts.filter(Boolean).join(' · ')));
    list.append(item);
    if (focused === instance.id) select.focus();
  }
}

// --- composer ----------------------------------------------------------------------------------------

function commandLine(ids) {
  const input = $('composer-input');
  const current = input.value.trim();
  const base = current === '' ? '/hbr-install' : current;
  const present = new Set(base.split(/\s+/));
  return [base, ...ids.filter((id) => !present.has(id))].join(' ');
}

function addToComposer(ids) {
  const input = $('composer-input');
  input.value = `${commandLine(ids)} `;
  autosize();
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

function autosize() {
  const input = $('composer-input');
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  renderHints();
}

function renderHints() {
  const hints = $('command-hints');
  const value = $('composer-input').value;
  const typed = /^\/\S*$/.test(value) ? value.toLowerCase() : null;
  const matching = typed === null ? [] : (state.snapshot?.commands ?? []).filter((c) => c.command.startsWith(typed));
  hints.replaceChildren();
  hints.hidden = matching.length === 0;
  for (const hint of matching) {
    const choice = button('', undefined, () => fillComposer(`${hint.command} `));
    choice.append(
      el('b', '', hint.command),
      el('span', 'usage', ` ${hint.usageHint}`),
      el('div', 'muted', hint.description),
    );
    const item = el('li');
    item.append(choice);
    hints.append(item);
  }
}

function fillComposer(text) {
  $('composer-input').value = text;
  autosize();
  $('composer-input').focus();
}

function renderTry() {
  const box = $('try');
  box.replaceChildren(el('span', 'muted', 'Try:'));
  const byName = (names) => (state.instances?.instances ?? []).filter((i) => names.includes(i.name)).map((i) => i.id);
  const examples = [
    ['three that install', byName(['web-01', 'web-02', 'db-01'])],
    ['a mix that partly fails', byName(['web-01', 'web-02', 'db-01', 'batch-01', 'build-01'])],
    ['a slow one', byName(['archive-01'])],
  ];
  for (const [text, ids] of examples) {
    if (ids.length === 0) continue;
    const line = `/hbr-install ${ids.join(' ')}`;
    const chip = button('chip', text, () => fillComposer(line));
    chip.title = line;
    box.append(chip);
  }
  box.append(button('chip', '/hbr-install help', () => fillComposer('/hbr-install help')));
}

async function send(event) {
  event?.preventDefault();
  const input = $('composer-input');
  const text = input.value.trim();
  if (text === '') return;
  state.history.push(text);
  state.historyIndex = -1;
  $('send').disabled = true;
  const answer = await post('/api/command', { user: state.user, text });
  $('send').disabled = false;
  if (answer.ok === false) {
    addNote(answer.error);
    if (!text.startsWith('/')) return;
  }
  input.value = '';
  autosize();
}

function onKey(event) {
  const input = $('composer-input');
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    send(event);
  } else if (event.key === 'Tab' && !$('command-hints').hidden) {
    event.preventDefault();
    $('command-hints').querySelector('button')?.click();
  } else if (event.key === 'ArrowUp' && (input.value === '' || state.historyIndex >= 0) && state.history.length > 0) {
    event.preventDefault();
    state.historyIndex = state.historyIndex < 0 ? state.history.length - 1 : Math.max(0, state.historyIndex - 1);
    input.value = state.history[state.historyIndex];
    autosize();
  } else if (event.key === 'Escape') {
    $('command-hints').hidden = true;
  }
}

function addNote(text) {
  noteCounter += 1;
  state.notes.push({ id: `note-${noteCounter}`, at: Date.now(), text });
  queueRender();
}

// --- buttons and the confirm dialog --------------------------------------------------------------

function confirmDialog(confirm) {
  const dialog = $('confirm');
  $('confirm-title').textContent = confirm.title?.text ?? 'Are you sure?';
  const text = confirm.text ?? { type: 'plain_text', text: '' };
  $('confirm-text').replaceChildren(
    text.type === 'mrkdwn' ? mrkdwn(text.text, ctx) : document.createTextNode(text.text),
  );
  $('confirm-ok').textContent = confirm.confirm?.text ?? 'Yes';
  $('confirm-deny').textContent = confirm.deny?.text ?? 'Cancel';
  $('confirm-ok').className = `btn ${confirm.style === 'danger' ? 'danger' : 'primary'}`;
  dialog.returnValue = '';
  dialog.showModal();
  $('confirm-deny').focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
  });
}

async function clickButton(element, blockId, node) {
  const holder = node.closest('[data-ts]');
  if (!holder) return;
  if (element.url) window.open(element.url, '_blank', 'noopener,noreferrer');
  if (element.confirm && !(await confirmDialog(element.confirm))) return;
  node.disabled = true;
  node.classList.add('busy');
  const answer = await post('/api/action', {
    user: state.user,
    channel: holder.dataset.channel,
    ts: holder.dataset.ts,
    ephemeral: holder.dataset.ephemeral === 'true',
    blockId,
    actionId: element.action_id,
  });
  node.disabled = false;
  node.classList.remove('busy');
  if (answer.ok === false) addNote(answer.error);
}

// --- messages ------------------------------------------------------------------------------------

function timeText(at) {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The name line over a message: author, APP badge, time, and whatever `extras` follow. */
function meta(author, kind, at, ...extras) {
  const line = el('div', 'meta');
  line.append(el('span', 'author', author));
  if (kind === 'bot') line.append(el('span', 'app-badge', 'APP'));
  const time = el('time', '', timeText(at));
  time.dateTime = new Date(at).toISOString();
  time.title = new Date(at).toLocaleString();
  line.append(time, ...extras);
  return line;
}

/** One message row: avatar, name line and content; `holder` data lets its buttons say where they sit. */
function row(className, author, kind, head, content, holder) {
  const node = el('div', className);
  Object.assign(node.dataset, holder);
  if (holder.ts && state.flash.has(holder.ts)) node.classList.add('flash');
  const body = el('div', 'message-body');
  body.append(head, ...content);
  node.append(avatar(author, kind), body);
  return node;
}

function messageNode(message, options = {}) {
  const bot = state.snapshot.bot.name;
  const extras = [];
  if (message.editedAt) {
    const edited = el('span', 'edited', '(edited)');
    edited.title = `edited ${new Date(message.editedAt).toLocaleTimeString()}`;
    extras.push(edited);
  }
  const content = [messageContent(message, ctx)];
  if (options.replies && options.replies.length > 0) content.push(repliesLink(message, options.replies));
  return row('message', bot, 'bot', meta(bot, 'bot', message.at, ...extras), content, {
    ts: message.ts,
    channel: message.channel,
  });
}

function repliesLink(parent, replies) {
  const link = button('replies', undefined, () => openThread(parent.ts));
  link.dataset.thread = parent.ts;
  const last = ` Last reply ${timeText(Math.max(...replies.map((r) => r.editedAt ?? r.at)))}`;
  link.append(
    avatar('hbr-bot', 'bot small'),
    el('b', '', `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`),
    el('span', 'muted', last),
  );
  return link;
}

const onlyYou = () => el('span', 'only-you', '👁 Only visible to you');

function ephemeralNode(ephemeral) {
  const bot = state.snapshot.bot.name;
  const dismiss = button('dismiss', 'Dismiss', () => {
    ephemeral.dismissed = true;
    queueRender();
  });
  const head = meta(bot, 'bot', ephemeral.at, onlyYou(), dismiss);
  return row('message ephemeral', bot, 'bot', head, [messageContent(ephemeral, ctx)], {
    ts: ephemeral.ts,
    channel: ephemeral.channel,
    ephemeral: 'true',
  });
}

function noteNode(note) {
  const head = meta('Slackbot', 'slackbot', note.at, onlyYou());
  return row('message ephemeral slackbot', 'Slackbot', 'slackbot', head, [el('div', 'mrkdwn', note.text)], {
    note: note.id,
  });
}

function introNode() {
  const node = el('div', 'intro');
  const steps = el('ol');
  const lines = [
    'As @dana, type /hbr-install and some instance IDs (the + next to each instance on the left adds it), then Enter.',
    'hbr-bot posts the request here. Switch to @lee or @sam (an approver) and click Approve, then confirm.',
    'Open the thread under the request: progress every few seconds, then each instance’s result.',
    'Try the rules too: @dana cannot approve but can withdraw her own request, @alex may neither request nor approve, a stopped instance is refused.',
  ];
  for (const line of lines) steps.append(el('li', '', line));
  node.append(el('h2', '', `This is the very beginning of #${state.snapshot.channel.name}`), steps);
  return node;
}

function visible(item) {
  return !item.deleted && !item.dismissed;
}

function isReply(message) {
  return message.threadTs !== null && message.threadTs !== message.ts;
}

function repliesOf(ts) {
  return [...state.messages.values()]
    .filter((m) => visible(m) && m.threadTs === ts && m.ts !== ts)
    .sort((a, b) => a.at - b.at);
}

function nearBottom(node) {
  return node.scrollHeight - node.scrollTop - node.clientHeight < 80;
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderMessages(false);
  });
}

/** The nodes each list shows, by key, with what they were drawn from. */
const drawnMessages = new Map();
const drawnThread = new Map();

/**
 * Makes `list` show `entries` ({ key, inputs, draw }) in order, drawing a node again only when its
 * inputs changed and leaving every kept node where it is. That matters: a click is a mousedown and a
 * mouseup on the same element, so an update elsewhere in the channel that replaced every node would
 * swallow a click in progress.
 */
function reconcile(list, drawn, entries) {
  const kept = new Map();
  const nodes = entries.map(({ key, inputs, draw }) => {
    const signature = JSON.stringify([state.user, inputs]);
    const known = drawn.get(key);
    const entry = known && known.signature === signature ? known : { signature, node: draw() };
    kept.set(key, entry);
    return entry.node;
  });
  nodes.forEach((node, index) => {
    if (list.children[index] !== node) list.insertBefore(node, list.children[index] ?? null);
  });
  while (list.children.length > nodes.length) list.lastElementChild.remove();
  drawn.clear();
  for (const [key, entry] of kept) drawn.set(key, entry);
}

function renderMessages(jumpToEnd) {
  if (!state.snapshot) return;
  const list = $('messages');
  const stick = jumpToEnd || nearBottom(list);
  const items = [
    ...[...state.messages.values()]
      .filter((m) => visible(m) && !isReply(m))
      .map((m) => {
        const replies = repliesOf(m.ts);
        return {
          at: m.at,
          ts: m.ts,
          key: `message:${m.ts}`,
          inputs: [m, replies],
          draw: () => messageNode(m, { replies }),
        };
      }),
    ...[...state.ephemerals.values()]
      .filter(visible)
      .map((e) => ({ at: e.at, ts: e.ts, key: `ephemeral:${e.ts}`, inputs: e, draw: () => ephemeralNode(e) })),
    ...state.notes.map((n) => ({ at: n.at, ts: '', key: `note:${n.id}`, inputs: n, draw: () => noteNode(n) })),
  ].sort((a, b) => a.at - b.at || a.ts.localeCompare(b.ts));
  reconcile(list, drawnMessages, [{ key: 'intro', inputs: state.snapshot.channel, draw: introNode }, ...items]);
  if (stick) list.scrollTop = list.scrollHeight;
  renderThread();
}

function openThread(ts) {
  state.openThread = ts;
  $('thread').hidden = false;
  $('app').classList.add('with-thread');
  renderThread(true);
}

function closeThread() {
  state.openThread = null;
  $('thread').hidden = true;
  $('app').classList.remove('with-thread');
}

function renderThread(jumpToEnd = false) {
  if (state.openThread === null) return;
  const parent = state.messages.get(state.openThread);
  if (!parent || !visible(parent)) {
    closeThread();
    return;
  }
  const list = $('thread-messages');
  const stick = jumpToEnd || nearBottom(list);
  const replies = repliesOf(parent.ts);
  const count = `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`;
  reconcile(list, drawnThread, [
    { key: `parent:${parent.ts}`, inputs: parent, draw: () => messageNode(parent) },
    { key: 'divider', inputs: count, draw: () => el('div', 'thread-divider', count) },
    ...replies.map((r) => ({ key: `reply:${r.ts}`, inputs: r, draw: () => messageNode(r) })),
  ]);
  if (stick) list.scrollTop = list.scrollHeight;
}

// --- start -----------------------------------------------------------------------------------------

function renderStatic() {
  const snapshot = state.snapshot;
  $('workspace').textContent = snapshot.workspace;
  $('side-channel').textContent = snapshot.channel.name;
  $('channel-name').textContent = snapshot.channel.name;
  $('thread-channel').textContent = snapshot.channel.name;
  document.title = `#${snapshot.channel.name} · hbr-bot sandbox`;
  renderUsers();
  renderTry();
}

function start() {
  const params = new URLSearchParams(location.search);
  state.user = params.get('user') ?? sessionStorage.getItem('hbr-sandbox-user') ?? 'USBDANA001';
  $('composer').addEventListener('submit', send);
  $('composer-input').addEventListener('keydown', onKey);
  $('composer-input').addEventListener('input', autosize);
  $('thread-close').addEventListener('click', closeThread);
  $('add-all').addEventListener('click', () => addToComposer((state.instances?.instances ?? []).map((i) => i.id)));
  connect();
}

start();
