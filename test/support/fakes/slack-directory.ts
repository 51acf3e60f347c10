/**
 * The Slack directory (src/slack/directory.ts) with its user groups given up front, for the unit
 * tests: who is listed, directly or through a group, without usergroups.users.list.
 */
import type { Listing, SlackDirectory } from '../../../src/slack/directory.js';
import { CallRecorder } from './call-recorder.js';

export class FakeSlackDirectory implements Pick<SlackDirectory, 'isListed' | 'listing'> {
  readonly recorder = new CallRecorder<'isListed' | 'listing'>();

  /** `groups`: the members of each user group (`S…`). */
  constructor(private readonly groups: Readonly<Record<string, readonly string[]>> = {}) {}

  async isListed(userId: string, principals: readonly string[]): Promise<boolean> {
    this.recorder.enter('isListed');
    return principals.some((principal) => principal === userId || this.groups[principal]?.includes(userId) === true);
  }

  async listing(userId: string, principals: readonly string[]): Promise<Listing | null> {
    this.recorder.enter('listing');
    if (principals.includes(userId)) return { via: 'user' };
    const groupId = principals.find((principal) => this.groups[principal]?.includes(userId) === true);
    return groupId === undefined ? null : { via: 'group', groupId };
  }
}
