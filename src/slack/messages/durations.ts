/**
 * Durations in words, for messages: how long a request waits, how long ago a client was heard
 * from. Pure: the current time is always a parameter.
 */

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "less than a minute", "25 minutes", "1 hour 30 minutes", "2 days 3 hours". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 60_000) return 'less than a minute';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    const rest = minutes % 60;
    return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
  }
  const days = Math.floor(hours / 24);
  const restHours = hours % 24;
  return restHours === 0 ? plural(days, 'day') : `${plural(days, 'day')} ${plural(restHours, 'hour')}`;
}

/**
 * "just now", "3 minutes ago", "2 days 3 hours ago" for a past moment (ms epoch). A moment a little
 * in the future (clocks that disagree) is "just now"; null or nonsense is "never".
 */
export function timeAgo(then: number | null, now: number): string {
  if (then === null || !Number.isFinite(then) || then <= 0 || !Number.isFinite(now)) return 'never';
  const elapsed = now - then;
  if (elapsed < 60_000) return 'just now';
  return `${formatDuration(elapsed)} ago`;
}
