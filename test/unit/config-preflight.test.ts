/**
 * The pre-flight's variables: HBR_PREFLIGHT (true/false, default true), HBR_PREFLIGHT_TAGS (the tag
 * keys shown, default none) and ECS_ENDPOINT (an http(s) URL overriding
 * https://ecs.<region>.aliyuncs.com), in both the real and the sandbox configuration.
 */
import { describe, expect, it } from 'vitest';
import { loadSandboxConfig, type SandboxSupplied } from '../../sandbox/config.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1111-real',
  SLACK_SIGNING_SECRET: 'real-secret',
  HBR_APPROVERS: 'U01APPROVER',
  HBR_REQUESTERS: '*',
  HBR_ALLOWED_CHANNELS: '*',
};

const SUPPLIED: SandboxSupplied = {
  slackBotToken: 'xoxb-sandbox',
  slackSigningSecret: 'sandbox-secret',
  slackApiUrl: 'http://127.0.0.1:40001/api/',
  hbrEndpoint: 'http://127.0.0.1:40002',
  approvers: ['USBLEE0002'],
  requesters: ['USBDANA001'],
  allowedChannels: ['CSBHBROPS1'],
};

describe('pre-flight configuration', () => {
  it('is on by default, against the regional ECS endpoint', () => {
    expect(loadConfig(VALID).preflight).toEqual({ enabled: true, ecsEndpoint: null, tagKeys: [] });
  });

  it('shows no tag unless HBR_PREFLIGHT_TAGS names its key', () => {
    expect(loadConfig({ ...VALID, HBR_PREFLIGHT_TAGS: ' app, owner ,app' }).preflight.tagKeys).toEqual([
      'app',
      'owner',
    ]);
  });

  it('reads HBR_PREFLIGHT and ECS_ENDPOINT', () => {
    expect(loadConfig({ ...VALID, HBR_PREFLIGHT: 'false' }).preflight.enabled).toBe(false);
    expect(loadConfig({ ...VALID, HBR_PREFLIGHT: ' true ' }).preflight.enabled).toBe(true);
    expect(loadConfig({ ...VALID, ECS_ENDPOINT: 'http://127.0.0.1:9200' }).preflight.ecsEndpoint).toBe(
      'http://127.0.0.1:9200',
    );
  });

  it('names a bad value of either, with the rest of the problems', () => {
    const load = () => loadConfig({ ...VALID, HBR_PREFLIGHT: 'yes', ECS_ENDPOINT: 'ftp://ecs' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/HBR_PREFLIGHT: must be true or false/);
    expect(load).toThrow(/ECS_ENDPOINT: must be an https:\/\/ URL/);
  });

  it('the sandbox points the pre-flight at its ECS stand-in, or turns it off without one', () => {
    const withEcs = loadSandboxConfig(
      { ECS_ENDPOINT: 'https://ecs.cn-hangzhou.aliyuncs.com' },
      { ...SUPPLIED, ecsEndpoint: 'http://127.0.0.1:40003' },
    );
    expect(withEcs.bot.preflight).toEqual({ enabled: true, ecsEndpoint: 'http://127.0.0.1:40003', tagKeys: ['app'] });
    expect(withEcs.ignored).toContain('ECS_ENDPOINT');
    // Never the real ECS from a sandbox.
    const without = loadSandboxConfig(
      { ECS_ENDPOINT: 'https://ecs.cn-hangzhou.aliyuncs.com', HBR_PREFLIGHT: 'true' },
      SUPPLIED,
    );
    expect(without.bot.preflight.enabled).toBe(false);
    expect(
      loadSandboxConfig({ HBR_PREFLIGHT: 'false' }, { ...SUPPLIED, ecsEndpoint: 'http://127.0.0.1:40003' }).bot
        .preflight.enabled,
    ).toBe(false);
  });
});
