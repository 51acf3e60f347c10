/**
 * Who is who: whether a Slack user is in a list of user IDs and user groups (HBR_APPROVERS,
 * HBR_REQUESTERS). Group membership comes from usergroups.users.list and is cached briefly, so a
 * burst of clicks costs one API call and a removal from a group takes effect within a minute.
 */
import type { webApi } from '@slack/bolt';

const GROUP_CACHE_MS = 60_000;

interface CachedGroup {
  members: ReadonlySet<string>;
  fetchedAt: number;
}

export class SlackDirectory {
  private readonly groups = new Map<string, Promise<CachedGroup>>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly now: () => number = Date.now,
    private readonly cacheMs: number = GROUP_CACHE_MS,
  ) {}

  /** True when `userId` is listed directly or is a member of a listed group. */
  async isListed(userId: string, principals: readonly string[]): Promise<boolean> {
    if (principals.includes(userId)) return true;
    for (const groupId of principals.filter((p) => p.startsWith('S'))) {
      if ((await this.groupMembers(groupId)).has(userId)) return true;
    }
    return false;
  }

  /** Whether the answer needs no API call (no groups to look up). */
  static isLocal(principals: readonly string[]): boolean {
    return !principals.some((p) => p.startsWith('S'));
  }

  private async groupMembers(groupId: string): Promise<ReadonlySet<string>> {
    const cached = this.groups.get(groupId);
    if (cached !== undefined) {
      const group = await cached.catch(() => null);
      if (group !== null && this.now() - group.fetchedAt < this.cacheMs) return group.members;
    }
    const fetching = this.client.usergroups.users
      .list({ usergroup: groupId })
      .then((answer) => ({ members: new Set(answer.users ?? []), fetchedAt: this.now() }));
    this.groups.set(groupId, fetching);
    try {
      return (await fetching).members;
    } catch (error) {
      this.groups.delete(groupId);
      throw error;
    }
  }
}
