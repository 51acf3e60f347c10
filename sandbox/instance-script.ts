/**
 * The scripted ECS instances the stand-ins agree on: one script, read by the HBR stand-in (which
 * instances it refuses, how their tasks end) and the ECS stand-in (names, states, Cloud Assistant),
 * so a pre-flight warning and HBR's later refusal always tell the same story:
 *
 *   state            HBR                                     ECS
 *   running          valid                                   Running, Cloud Assistant online
 *   stopped          InstanceNotRunning                      Stopped, Cloud Assistant offline
 *   no-cloud-assist  CloudAssistNotRunningOnInstance         Running, Cloud Assistant offline
 *   missing          InstanceNotExists                       absent from every answer
 *   install-fails, unknown-status, uninstall-fails, slow     Running, Cloud Assistant online
 *
 * Unscripted instance IDs behave as `unscripted` says: 'running' by default, so a test may use
 * any ID; the sandbox says 'missing', as real ECS and HBR answer for an ID the account does not
 * have. Names are scripted or derived from the ID (`web-<last 4 characters>`).
 */

/**
 * How a scripted ECS instance behaves:
 *  - running          valid; install -> ACTIVATED, uninstall -> NOT_INSTALLED
 *  - stopped          refused per instance with InstanceNotRunning
 *  - no-cloud-assist  refused per instance with CloudAssistNotRunningOnInstance
 *  - missing          refused per instance with InstanceNotExists
 *  - install-fails    valid; install task result INSTALL_FAILED (errorCode InstallClientFailed)
 *  - unknown-status   valid; install task result clientStatus WEIRD_NEW_STATUS
 *  - uninstall-fails  valid; install -> ACTIVATED, uninstall -> UNINSTALL_FAILED (UninstallClientFailed)
 *  - slow             valid like running, but a task holding it needs `slowExtraPolls` more polls to complete
 */
export type ScriptedState =
  | 'running'
  | 'stopped'
  | 'no-cloud-assist'
  | 'missing'
  | 'install-fails'
  | 'unknown-status'
  | 'uninstall-fails'
  | 'slow';

export const SCRIPTED_STATES: readonly ScriptedState[] = [
  'running',
  'stopped',
  'no-cloud-assist',
  'missing',
  'install-fails',
  'unknown-status',
  'uninstall-fails',
  'slow',
];

export type ScriptedOsType = 'linux' | 'windows';

/** What ECS says about an instance beyond its state; derived from the ID when not scripted. */
export interface ScriptedDetails {
  name?: string;
  osType?: ScriptedOsType;
}

export interface InstanceScriptOptions {
  /** How an instance nobody scripted behaves. Default 'running'. */
  unscripted?: ScriptedState;
}

export class InstanceScript {
  private readonly states = new Map<string, ScriptedState>();
  private readonly details = new Map<string, ScriptedDetails>();
  private readonly listeners = new Set<() => void>();
  private readonly unscripted: ScriptedState;

  constructor(initial: Record<string, ScriptedState> = {}, options: InstanceScriptOptions = {}) {
    for (const [id, state] of Object.entries(initial)) this.states.set(id, state);
    this.unscripted = options.unscripted ?? 'running';
  }

  /** Scripts an instance (and optionally its name and OS); tells every subscriber. */
  set(instanceId: string, state: ScriptedState, details?: ScriptedDetails): void {
    this.states.set(instanceId, state);
    if (details !== undefined) this.details.set(instanceId, { ...this.details.get(instanceId), ...details });
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // A listener's failure never changes the script.
      }
    }
  }

  stateOf(instanceId: string): ScriptedState {
    return this.states.get(instanceId) ?? this.unscripted;
  }

  /** The scripted name, else `web-<last 4 characters of the ID>`. */
  nameOf(instanceId: string): string {
    return this.details.get(instanceId)?.name ?? `web-${instanceId.slice(-4)}`;
  }

  osTypeOf(instanceId: string): ScriptedOsType {
    return this.details.get(instanceId)?.osType ?? 'linux';
  }

  /** The scripted instances and their states, in the order they were first scripted. */
  entries(): Array<{ instanceId: string; state: ScriptedState }> {
    return [...this.states].map(([instanceId, state]) => ({ instanceId, state }));
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
