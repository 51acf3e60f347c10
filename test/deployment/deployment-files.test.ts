/**
 * The deployment files, checked by parsing them (there is no Docker engine on the build machine):
 * the Slack manifest against what the code uses, the compose file, the Dockerfile, .env.example.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';

const root = process.cwd();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The bot's own code (the sandbox's stand-ins play Slack from `sandbox/` and are not the bot). */
const botSources = sourceFiles('src');
const botCode = botSources.map(read).join('\n');

/** The Slack scopes each Web API method the bot calls needs (none: no scope). */
const SCOPES_OF_METHOD: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.getPermalink': [],
  // Requests live in public or private channels (never in DMs: the bot cannot post there).
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
  'usergroups.users.list': ['usergroups:read'],
};

interface Manifest {
  features: {
    slash_commands: Array<{ command: string; url: string; description: string; usage_hint: string }>;
    bot_user: unknown;
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
  display_information: { name: string };
}

describe('manifest.yml', () => {
  const manifest = parse(read('manifest.yml')) as Manifest;

  it('counts in its Socket Mode note as many url/request_url lines as it has', () => {
    const text = read('manifest.yml');
    const said = Number(/delete the (\d+)\s*#?\s*`url`\/`request_url` lines/.exec(text)?.[1]);
    expect(said).toBe(text.split('\n').filter((line) => /^\s+(url|request_url):/.test(line)).length);
  });

  it('declares exactly the slash commands the code registers, all pointing at /slack/events', () => {
    const registered = new Set([...botCode.matchAll(/'(\/hbr-[a-z-]+)'/g)].map((m) => m[1]));
    expect(registered.size).toBeGreaterThan(0);
    const declared = manifest.features.slash_commands.map((c) => c.command);
    expect(new Set(declared)).toEqual(registered);
    for (const command of manifest.features.slash_commands) {
      expect(command.url).toBe('https://YOUR-HOST/slack/events');
      expect(command.description.length).toBeGreaterThan(10);
      expect(command.usage_hint.length).toBeGreaterThan(3);
    }
    expect(manifest.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: 'https://YOUR-HOST/slack/events',
    });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.features.bot_user).toBeDefined();
  });

  it('requests exactly the bot scopes the code needs', () => {
    // `client.chat.update(`, also when the call is split over lines (`client.usergroups.users\n.list(`).
    const calls = botCode.matchAll(/client\s*\.\s*([a-z]+(?:\s*\.\s*[a-zA-Z]+)+)\s*\(/g);
    const called = new Set([...calls].map((m) => (m[1] ?? '').replace(/\s+/g, '')));
    expect(called.size).toBeGreaterThan(0);
    const unknown = [...called].filter((method) => !(method in SCOPES_OF_METHOD));
    expect(unknown, 'add the scopes of each new Web API method to SCOPES_OF_METHOD').toEqual([]);
    const needed = new Set([...called].flatMap((method) => SCOPES_OF_METHOD[method] ?? []));
    needed.add('commands');
    // Requests may be posted in channels the bot never joined (HBR_APPROVAL_CHANNEL, any channel
    // the command is typed in): chat:write.public lets chat.postMessage reach them.
    if (called.has('chat.postMessage')) needed.add('chat:write.public');
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(needed);
  });

  it('documents the Socket Mode variant', () => {
    const text = read('manifest.yml');
    expect(text).toMatch(/socket_mode_enabled: true/);
    expect(text).toMatch(/connections:write/);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };

  const redis = compose.services.redis ?? {};
  const command = (redis.command as string[]).join(' ');
  /** `${REDIS_PASSWORD:?message}`: compose refuses to start without the variable, saying the message. */
  const requiredPassword = /\$\{REDIS_PASSWORD:\?([^}]+)\}/;

  it('runs Redis with append-only persistence on a named volume, with a health check', () => {
    expect(String(redis.image)).toMatch(/^redis:7/);
    expect(command).toMatch(/--appendonly yes/);
    const volumes = redis.volumes as string[];
    expect(volumes.some((v) => v.endsWith(':/data'))).toBe(true);
    const volumeName = volumes[0]?.split(':')[0] ?? '';
    expect(Object.keys(compose.volumes)).toContain(volumeName);
    expect((redis.healthcheck as { test: string[] }).test.join(' ')).toContain('redis-cli ping');
  });

  it('runs Redis that never evicts keys, behind a password .env must give, which the health check uses', () => {
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    const args = redis.command as string[];
    const password = args[args.indexOf('--requirepass') + 1] ?? '';
    const message = requiredPassword.exec(password)?.[1] ?? '';
    expect(message).toMatch(/set REDIS_PASSWORD in \.env/);
    expect((redis.environment as Record<string, string>).REDISCLI_AUTH).toMatch(requiredPassword);
  });

  it('runs the bot from .env, on Redis in the compose network with the password, after Redis is healthy', () => {
    const bot = compose.services['hbr-bot'] ?? {};
    expect(bot.build).toBe('.');
    expect(bot.env_file).toBe('.env');
    const url = (bot.environment as Record<string, string>).REDIS_URL ?? '';
    expect(url).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379$/);
    expect(bot.ports).toEqual(['3000:3000']);
    expect((bot.depends_on as Record<string, { condition: string }>).redis?.condition).toBe('service_healthy');
    // What the bot then reads: REDIS_URL with the password, and REDIS_PASSWORD itself from .env. They agree.
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-compose',
      SLACK_SIGNING_SECRET: 'compose',
      HBR_APPROVERS: 'U0COMPOSE',
      HBR_REQUESTERS: '*',
      HBR_ALLOWED_CHANNELS: '*',
      REDIS_PASSWORD: '0123abcd',
      REDIS_URL: url.replace(requiredPassword, '0123abcd'),
    });
    expect(config.redis).toEqual({ mode: 'single', url: 'redis://redis:6379', username: null, password: '0123abcd' });
  });
});

describe('.env.example', () => {
  it('lists every configuration variable and the Alibaba credentials, each with a comment', () => {
    const text = read('.env.example');
    for (const name of [...CONFIG_VARIABLES, 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET']) {
      const line = text.split('\n').findIndex((l) => new RegExp(`^#? ?${name}=`).test(l));
      expect(line, `${name} in .env.example`).toBeGreaterThanOrEqual(0);
      const previous = text
        .split('\n')
        .slice(0, line)
        .reverse()
        .find((l) => l.startsWith('#') && !/^# ?[A-Z_]+=/.test(l));
      expect(previous, `a comment above ${name}`).toBeDefined();
    }
  });
});
