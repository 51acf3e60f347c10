/**
 * The request publisher (src/slack/request-publisher.ts) without Slack, for the unit tests: what
 * the jobs (RequestMessages) and the listeners call, recorded with the request as it was when
 * called. Like the real one, it records what it posted in the store it is given, so the final
 * reply is posted once however often a job runs.
 */
import type { HbrRequest, SlackMessageRef } from '../../../src/domain/request.js';
import type { RequestMessages } from '../../../src/jobs/ports.js';
import type { ListenerDeps } from '../../../src/slack/listeners/deps.js';
import type { SlackMessage } from '../../../src/slack/messages/blocks.js';
import { CallRecorder } from './call-recorder.js';
import type { FakeRequestStore } from './request-store.js';

type FakedMethod =
  | 'requestChannel'
  | 'postRequest'
  | 'permalink'
  | 'editRequestMessageViaResponseUrl'
  | keyof RequestMessages;

/** Slack's ts of the request message the fake posts; its thread replies add a digit. */
const POSTED_TS = '1700000000.000100';

/** One edit of a request message, with the request as rendered. */
export interface RequestMessageEdit {
  via: 'chat.update' | 'response_url';
  request: HbrRequest;
  budgeted: boolean;
}

export class FakeRequestPublisher implements Pick<ListenerDeps['publisher'] & RequestMessages, FakedMethod> {
  readonly recorder = new CallRecorder<FakedMethod>();
  readonly posted: HbrRequest[] = [];
  readonly edits: RequestMessageEdit[] = [];
  /** Progress replies posted or edited, with the request they show. */
  readonly progress: HbrRequest[] = [];
  /** Final replies posted. */
  readonly finals: HbrRequest[] = [];
  /** What recoverRequestMessage finds in Slack, by request id. */
  readonly lostMessages = new Map<string, SlackMessageRef>();

  constructor(
    private readonly store: FakeRequestStore,
    private readonly approvalChannel: string | null = null,
  ) {}

  requestChannel(request: HbrRequest): string {
    this.recorder.enter('requestChannel');
    return this.approvalChannel ?? request.originChannel;
  }

  async postRequest(request: HbrRequest): Promise<SlackMessageRef> {
    this.recorder.enter('postRequest');
    this.posted.push(request);
    const ref = { channel: this.approvalChannel ?? request.originChannel, ts: POSTED_TS };
    await this.store.setMessage(request.id, ref);
    return ref;
  }

  async permalink(ref: SlackMessageRef): Promise<string | null> {
    this.recorder.enter('permalink');
    return `https://fake.slack.com/archives/${ref.channel}/p${ref.ts.replace('.', '')}`;
  }

  async recoverRequestMessage(request: HbrRequest): Promise<SlackMessageRef | null> {
    this.recorder.enter('recoverRequestMessage');
    const found = request.message ?? this.lostMessages.get(request.id) ?? null;
    if (found !== null) await this.store.setMessage(request.id, found);
    return found;
  }

  async editRequestMessageViaChatUpdate(request: HbrRequest, options: { budgeted?: boolean } = {}): Promise<void> {
    this.recorder.enter('editRequestMessageViaChatUpdate');
    this.edits.push({ via: 'chat.update', request, budgeted: options.budgeted === true });
  }

  /** Replaces the message through `replaceOriginal` (the click's respond); chat.update when that fails, like the real one. */
  async editRequestMessageViaResponseUrl(
    request: HbrRequest,
    replaceOriginal: (message: SlackMessage) => Promise<unknown>,
  ): Promise<void> {
    this.recorder.enter('editRequestMessageViaResponseUrl');
    if (request.message === null) return;
    const rendered: SlackMessage = { text: `request ${request.id} ${request.status}`, blocks: [] };
    try {
      await replaceOriginal(rendered);
      this.edits.push({ via: 'response_url', request, budgeted: false });
    } catch {
      this.edits.push({ via: 'chat.update', request, budgeted: false });
    }
  }

  async syncProgress(request: HbrRequest): Promise<void> {
    this.recorder.enter('syncProgress');
    if (request.message === null) return;
    this.progress.push(request);
    await this.store.setProgressMessage(request.id, request.progressTs ?? `${POSTED_TS}1`, 'digest');
  }

  async postFinal(request: HbrRequest): Promise<void> {
    this.recorder.enter('postFinal');
    if (request.message === null || request.finalTs !== null) return;
    this.finals.push(request);
    await this.store.setFinalMessage(request.id, `${POSTED_TS}2`);
  }
}
