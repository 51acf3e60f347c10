/**
 * No secret leaves the bot: not the Slack bot token, the signing secret, the AccessKey secret (the
 * right one or a wrong one) or the metrics token — in no log line, Slack message, error text or
 * metric. Every in-process bot of the whole suite is checked when its harness closes (bot-harness
 * scans its captured logs, the Slack stand-in's records and /metrics), every child process when its
 * world closes (process-world); this file drives the error paths on purpose and checks the scanner.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendSlashCommand } from '../../sandbox/slack-requests.js';
import {
  ACCESS_KEY_SECRET,
  APPROVER,
  BOT_TOKEN,
  CHANNEL,
  HARNESS_SECRETS,
  type Harness,
  leakedSecrets,
  REQUESTER,
  SIGNING_SECRET,
  startHarness,
} from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

const WRONG_ACCESS_KEY_SECRET = 'Wr0ngAccessKeySecretXq7Lp2Tm9Vb';
const METRICS_TOKEN = 'metrics-token-Kd83jf02LmQp';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('secrets', () => {
  it('the scanner finds a planted secret and names where, without quoting it', () => {
    const found = leakedSecrets(['s3cr3t-value', ''], { logs: 'a line\nwith s3cr3t-value inside', metrics: 'nothing' });
    expect(found).toEqual(['secret #0 in logs']);
    expect(found.join(' ')).not.toContain('s3cr3t-value');
    expect(HARNESS_SECRETS).toEqual([BOT_TOKEN, SIGNING_SECRET, ACCESS_KEY_SECRET]);
  });

  it('a harness fails at close when its bot leaked a secret anywhere it looks', async () => {
    const h = await startHarness();
    h.logs.push(`{"level":30,"msg":"oops ${BOT_TOKEN}"}\n`);
    await expect(h.close()).rejects.toThrow(/leaked secrets: secret #0 in logs/);
  });

  it('leaks nothing while every error path runs: bad signatures, HBR and Slack refusing, bad input', {
    timeout: 30_000,
  }, async () => {
    // The bot signs HBR calls with a wrong secret: every HBR call fails with SignatureDoesNotMatch.
    harness = await startHarness({ accessKeySecret: WRONG_ACCESS_KEY_SECRET, env: { METRICS_TOKEN } });
    const h = harness;
    await h.command('i-bad web-01 <@U999> --region mars-1');
    await h.command('i-bp1secretsecretsecr01', REQUESTER, CHANNEL, { signingSecret: 'forged-secret' });
    await h.slash('/hbr-status', 'i-bp1secretsecretsecr02');
    h.slack.failNext('chat.postMessage', { error: 'invalid_auth' });
    await h.command('i-bp1secretsecretsecr04');
    await waitFor(() => h.slack.ephemerals(REQUESTER).find((e) => /token is invalid/.test(JSON.stringify(e))), {
      message: 'Slack failure explained',
    });
    await h.command('i-bp1secretsecretsecr03');
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    const failure = await waitFor(
      () =>
        h
          .threadReplies(message)
          .find((r) => r.text.includes(`<@${REQUESTER}>`) && /SignatureDoesNotMatch/.test(h.textOf(r))),
      {
        message: 'HBR failure explained in the final reply',
      },
    );
    await h.command('audit', APPROVER);
    await sendSlashCommand(
      h.eventsUrl,
      {
        text: `show ${requestId}`,
        user_id: REQUESTER,
        channel_id: CHANNEL,
        response_url: h.slack.responseUrl({ user: REQUESTER }),
      },
      { signingSecret: SIGNING_SECRET },
    );
    await waitFor(() => h.slack.ephemerals(REQUESTER).length >= 4 || undefined, { message: 'answers' });

    const metrics = await (await h.ops('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` })).text();
    const unauthorised = await h.ops('/metrics', { authorization: 'Bearer nope' });
    expect(unauthorised.status).toBe(401);
    const secrets = [BOT_TOKEN, SIGNING_SECRET, ACCESS_KEY_SECRET, WRONG_ACCESS_KEY_SECRET, METRICS_TOKEN];
    const texts = {
      logs: h.logs.join(''),
      'Slack messages': JSON.stringify(h.slack.messages()),
      ephemerals: JSON.stringify(h.slack.ephemerals()),
      'HBR error shown': h.textOf(failure),
      metrics,
    };
    expect(leakedSecrets(secrets, texts)).toEqual([]);
    // The scan looked at the real thing: errors were logged and shown, metrics have error labels.
    expect(h.logs.filter((line) => /SignatureDoesNotMatch/.test(line)).length).toBeGreaterThan(0);
    expect(metrics).toMatch(/hbr_bot_hbr_calls_total\{action="InstallBackupClients",code="SignatureDoesNotMatch"\}/);
    expect(metrics).toMatch(/hbr_bot_slack_api_errors_total\{method="chat.postMessage",error="invalid_auth"\}/);
  });
});
