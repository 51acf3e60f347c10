/** ECS instance IDs: the one pattern every layer checks them with, and splitting them into the chunks an API call takes. */

/** `i-` followed by 8 to 30 lowercase letters or digits (most IDs today have 20). */
export const INSTANCE_ID_PATTERN = /^i-[a-z0-9]{8,30}$/;

/** Splits `items` into consecutive chunks of at most `size` (the last one may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`chunk size must be a whole number of at least 1, got ${String(size)}`);
  }
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
