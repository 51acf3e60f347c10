/**
 * Pre-flight: what ECS says about a request's instances before anyone approves it, and whether HBR
 * will accept each of them. Pure: no I/O, no Alibaba types (the ECS edge hands its answers over in
 * the shapes below).
 *
 * HBR refuses an instance at once when it does not exist in the region (InstanceNotExists), is not
 * running (InstanceNotRunning) or its Cloud Assistant agent is not online
 * (CloudAssistNotRunningOnInstance): the verdicts name those in advance. The approver still decides.
 * The verdicts are codes; the request message words them (slack/messages/request.ts).
 */

export interface InstanceTag {
  key: string;
  value: string;
}

/** One instance as ECS describes it (DescribeInstances). */
export interface InstanceDescription {
  instanceId: string;
  instanceName: string;
  /** Raw ECS Status: Running, Stopped, Starting, Stopping, Pending, or another value shown raw. */
  status: string;
  /** 'linux', 'windows', ... ('' when unknown). */
  osType: string;
  /** e.g. "Alibaba Cloud Linux 3.2104 LTS 64 bit" ('' when unknown). */
  osName: string;
  instanceType: string;
  tags: InstanceTag[];
}

/** One instance's Cloud Assistant agent as ECS describes it (DescribeCloudAssistantStatus). */
export interface AgentDescription {
  instanceId: string;
  /** Installed and online. */
  running: boolean;
  /** '' when unknown. */
  version: string;
}

/** What the pre-flight knows about one requested instance. */
export interface InstanceFacts extends InstanceDescription {
  /** false: ECS does not know the instance in the request's region (the other fields are ''). */
  found: boolean;
  /** null: unknown (ECS did not report the agent, or that look-up failed). */
  cloudAssistant: { running: boolean; version: string } | null;
}

/** The pre-flight of a request, stored on its record. */
export type PreflightResult =
  | {
      outcome: 'checked';
      checkedAt: number;
      /** One per requested instance, in the request's order. */
      instances: InstanceFacts[];
      /** Why the Cloud Assistant states are unknown, when only that look-up failed; else null. */
      cloudAssistantUnavailable: string | null;
    }
  | {
      outcome: 'unavailable';
      checkedAt: number;
      /** The failure's code (e.g. Forbidden.RAM), for logs and support. */
      code: string;
      /** In words, e.g. "the AccessKey's RAM identity lacks ecs:DescribeInstances (optional; see README)". */
      reason: string;
    };

/**
 * Facts for every requested instance, in the request's order, from what ECS returned. `agents` is
 * null when the Cloud Assistant look-up failed (every agent state is then unknown). Only tags whose
 * key is in `tagKeys` are kept: whoever may tag an instance chooses their text, so what is shown to
 * approvers is an allowlist.
 */
export function combineFacts(
  requested: readonly string[],
  instances: readonly InstanceDescription[],
  agents: readonly AgentDescription[] | null,
  tagKeys: readonly string[],
): InstanceFacts[] {
  const byId = new Map(instances.map((i) => [i.instanceId, i]));
  const agentById = new Map((agents ?? []).map((a) => [a.instanceId, a]));
  return requested.map((instanceId) => {
    const described = byId.get(instanceId);
    if (described === undefined) {
      return {
        instanceId,
        found: false,
        instanceName: '',
        status: '',
        osType: '',
        osName: '',
        instanceType: '',
        tags: [],
        cloudAssistant: null,
      };
    }
    const agent = agentById.get(instanceId);
    return {
      instanceId,
      found: true,
      instanceName: described.instanceName,
      status: described.status,
      osType: described.osType,
      osName: described.osName,
      instanceType: described.instanceType,
      tags: described.tags.filter((t) => tagKeys.includes(t.key)).map((t) => ({ key: t.key, value: t.value })),
      cloudAssistant: agent === undefined ? null : { running: agent.running, version: agent.version },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Verdicts
// ---------------------------------------------------------------------------------------------

export type ReadinessVerdict =
  | 'ready'
  | 'not_found'
  | 'stopped'
  | 'starting'
  | 'unknown_state'
  | 'no_cloud_assistant'
  | 'cloud_assistant_unknown';

/**
 * - `ready`: HBR should accept it;
 * - `refused`: HBR will refuse it as things stand;
 * - `check`: cannot tell (starting up, a state or an agent ECS did not describe): look before approving.
 */
export type ReadinessLevel = 'ready' | 'refused' | 'check';

export interface Readiness {
  verdict: ReadinessVerdict;
  level: ReadinessLevel;
}

/** Whether HBR will accept this instance in the request's region. */
export function instanceReadiness(facts: InstanceFacts): Readiness {
  if (!facts.found) return { verdict: 'not_found', level: 'refused' };
  switch (facts.status) {
    case 'Running':
      break;
    case 'Stopped':
    case 'Stopping':
      return { verdict: 'stopped', level: 'refused' };
    case 'Starting':
    case 'Pending':
      return { verdict: 'starting', level: 'check' };
    default:
      return { verdict: 'unknown_state', level: 'check' };
  }
  if (facts.cloudAssistant === null) return { verdict: 'cloud_assistant_unknown', level: 'check' };
  if (!facts.cloudAssistant.running) return { verdict: 'no_cloud_assistant', level: 'refused' };
  return { verdict: 'ready', level: 'ready' };
}

export interface PreflightCounts {
  ready: number;
  refused: number;
  check: number;
}

export function preflightCounts(instances: readonly InstanceFacts[]): PreflightCounts {
  const counts: PreflightCounts = { ready: 0, refused: 0, check: 0 };
  for (const facts of instances) counts[instanceReadiness(facts).level] += 1;
  return counts;
}

/** The instance names ECS gave the pre-flight, by instance ID; empty when it was not looked up. */
export function preflightNames(preflight: PreflightResult | null): ReadonlyMap<string, string> {
  if (preflight?.outcome !== 'checked') return new Map();
  return new Map(preflight.instances.filter((i) => i.instanceName !== '').map((i) => [i.instanceId, i.instanceName]));
}
