/**
 * Who and what lives in the sandbox: its Slack workspace (one channel, four people), the credentials
 * the stand-ins accept, and the scripted ECS instances. Nothing here is a real secret: these values
 * only ever reach the in-process stand-ins on 127.0.0.1.
 */
import type { ScriptedState } from './hbr-api-server.js';

export const SANDBOX_BOT_TOKEN = 'xoxb-sandbox-hbr-bot';
export const SANDBOX_SIGNING_SECRET = 'sandbox-signing-secret-not-a-real-one';
export const SANDBOX_ACCESS_KEY_ID = 'LTAIsandboxAccessKey';
export const SANDBOX_ACCESS_KEY_SECRET = 'sandbox-access-key-secret-not-a-real-one';
export const SANDBOX_BOT_USER_ID = 'U0HBRBOT01';

export const SANDBOX_CHANNEL = { id: 'CSBHBROPS1', name: 'hbr-ops' } as const;

export type SandboxRole = 'requester' | 'approver' | 'stranger';

export interface SandboxUser {
  id: string;
  name: string;
  role: SandboxRole;
  /** What the user switcher says about them. */
  note: string;
}

export const SANDBOX_USERS: readonly SandboxUser[] = [
  { id: 'USBDANA001', name: 'dana', role: 'requester', note: 'may request, may not approve' },
  { id: 'USBLEE0002', name: 'lee', role: 'approver', note: 'may request and approve' },
  { id: 'USBSAM0003', name: 'sam', role: 'approver', note: 'may request and approve' },
  { id: 'USBALEX004', name: 'alex', role: 'stranger', note: 'on no list: may neither request nor approve' },
];

export function sandboxUser(id: string): SandboxUser | undefined {
  return SANDBOX_USERS.find((u) => u.id === id);
}

export const SANDBOX_APPROVERS = SANDBOX_USERS.filter((u) => u.role === 'approver').map((u) => u.id);
export const SANDBOX_REQUESTERS = SANDBOX_USERS.filter((u) => u.role !== 'stranger').map((u) => u.id);

export interface SandboxInstance {
  id: string;
  name: string;
  state: ScriptedState;
}

/** The scripted ECS instances, one per behaviour worth trying. Unlisted IDs are not found, as in a real account. */
export const SANDBOX_INSTANCES: readonly SandboxInstance[] = [
  { id: 'i-bp1web01x7kq2m9sd4hz', name: 'web-01', state: 'running' },
  { id: 'i-bp1web02c3n8v5tz1fay', name: 'web-02', state: 'running' },
  { id: 'i-bp1db01p6w2r8yq4ke0m', name: 'db-01', state: 'running' },
  { id: 'i-bp1batch01m4t9s2xa7q', name: 'batch-01', state: 'stopped' },
  { id: 'i-bp1legacy01h5z3q8nwe', name: 'legacy-01', state: 'no-cloud-assist' },
  { id: 'i-bp1build01r2d7k4w9cg', name: 'build-01', state: 'install-fails' },
  { id: 'i-bp1archive01u6j3e8bk', name: 'archive-01', state: 'slow' },
];

/** What each scripted state means, as the instance panel explains it. */
export const STATE_NOTES: Readonly<Record<ScriptedState, string>> = {
  running: 'running, Cloud Assistant online: installs',
  stopped: 'stopped: HBR refuses it at once (InstanceNotRunning)',
  'no-cloud-assist': 'no Cloud Assistant: HBR refuses it at once',
  missing: 'released: HBR refuses it at once (InstanceNotExists)',
  'install-fails': 'accepted, but the install task fails on it',
  'unknown-status': 'accepted; the task reports a status hbr-bot does not know',
  'uninstall-fails': 'installs; an uninstall fails on it',
  slow: 'installs, but its task takes several more polls',
};

/** DescribeTask polls before a task completes (so progress shows once), and extra polls for 'slow'. */
export const SANDBOX_POLLS_TO_COMPLETE = 2;
export const SANDBOX_SLOW_EXTRA_POLLS = 4;
