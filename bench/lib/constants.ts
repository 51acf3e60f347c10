/** Credentials and identities shared by the bench's servers and driver (all local, all fake). */
export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-bench-bot-token';
export const ACCESS_KEY_ID = 'LTAIbenchAccessKeyId';
export const ACCESS_KEY_SECRET = 'bench-access-key-secret';
export const REQUESTER = 'UBENCHREQ01';
export const APPROVER = 'UBENCHAPP01';
export const CHANNEL = 'CBENCHOPS01';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const REGION = 'cn-hangzhou';
