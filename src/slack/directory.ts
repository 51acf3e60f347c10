/**
 * Who is who: whether a Slack user is in a list of user IDs and user groups (HBR_APPROVERS,
 * HBR_REQUESTERS), and through which group. Group membership comes from usergroups.users.list and
 * is cached for HBR_USER_GROUP_CACHE_MS per process, so a burst of clicks costs one API call; a
 * member removed from a group can still act until the cache expires (0: ask Slack every time).
 */
import type { webApi } from '@slack/bolt';

interface CachedGroup {
  members: ReadonlySet<string>;
  fetchedAt: number;
}

/** How a user is on a list: by their own ID, or as a member of one of its user groups. */
export type Listing = { via: 'user' } | { via: 'group'; groupId: string };

export class SlackDirectory {
  private readonly groups = new Map<string, Promise<CachedGroup>>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How `userId` is on `principals` (directly first, then the first group that has them), or null. */
  async listing(userId: string, principals: readonly string[]): Promise<Listing | null> {
    if (principals.includes(userId)) return { via: 'user' };
    for (const groupId of principals.filter((p) => p.startsWith('S'))) {
      if ((await this.groupMembers(groupId)).has(userId)) return { via: 'group', groupId };
    }
    return null;
  }

  /** True when `userId` is listed directly or is a member of a listed group. */
  async isListed(userId: string, principals: readonly string[]): Promise<boolean> {
    return (await this.listing(userId, principals)) !== null;
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
