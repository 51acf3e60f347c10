/**
 * Child process: the HBR OpenAPI stand-in (sandbox/hbr-api-server.ts) answering at once, with
 * its call log compacted every 250 ms to (action, TaskId, arrival time, outcome).
 */
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET } from '../lib/constants.js';
import { serve, usage } from '../lib/serve.js';
import { importFromCheckout } from '../lib/src-path.js';

const { startHbrStandIn } =
  await importFromCheckout<typeof import('../../sandbox/hbr-api-server.js')>('sandbox/hbr-api-server.js');

export interface HbrCallLog {
  action: string[];
  taskId: string[];
  /** First instance id of an Install/UninstallBackupClients call ('' otherwise). */
  firstInstance: string[];
  at: number[];
  ok: boolean[];
}

const hbr = await startHbrStandIn({
  accessKeyId: ACCESS_KEY_ID,
  accessKeySecret: ACCESS_KEY_SECRET,
  pollsToComplete: 1,
});
const log: HbrCallLog = { action: [], taskId: [], firstInstance: [], at: [], ok: [] };

function compact(): void {
  const pending = [];
  for (const call of hbr.calls) {
    if (call.code === 'pending') {
      pending.push(call);
      continue;
    }
    log.action.push(call.action);
    log.taskId.push(call.params.TaskId ?? '');
    log.firstInstance.push(/"(i-[^"]+)"/.exec(call.params.InstanceIds ?? '')?.[1] ?? '');
    log.at.push(call.at);
    log.ok.push(call.ok);
  }
  hbr.calls.length = 0;
  hbr.calls.push(...pending);
}

setInterval(compact, 250).unref();

serve(
  {
    url: () => hbr.url,
    setPollsToComplete(polls: number) {
      hbr.setPollsToComplete(polls);
    },
    /** Calls recorded since the last reset, oldest first, optionally only those arrived in [from, to). */
    calls(from = 0, to = Number.POSITIVE_INFINITY) {
      compact();
      const out: HbrCallLog = { action: [], taskId: [], firstInstance: [], at: [], ok: [] };
      for (let i = 0; i < log.at.length; i += 1) {
        const at = log.at[i]!;
        if (at < from || at >= to) continue;
        out.action.push(log.action[i]!);
        out.taskId.push(log.taskId[i]!);
        out.firstInstance.push(log.firstInstance[i]!);
        out.at.push(at);
        out.ok.push(log.ok[i]!);
      }
      return out;
    },
    callCount: () => log.at.length + hbr.calls.length,
    reset() {
      compact();
      log.action.length = log.taskId.length = log.firstInstance.length = log.at.length = log.ok.length = 0;
    },
    usage,
  },
  () => hbr.close(),
);
