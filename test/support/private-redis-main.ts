/** A parent for the orphan test: starts a private redis-server, prints its URL, then waits to be killed. */
import { startPrivateRedis } from '../../sandbox/private-redis.js';

const redis = await startPrivateRedis();
process.stdout.write(`${redis.url}\n`);
setInterval(() => undefined, 60_000);
