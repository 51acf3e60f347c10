/**
 * The progress reply in the request's thread, edited in place on every poll that changes it: what
 * HBR refused at once and why, each task's progress, counts by outcome, and the failure if any.
 */

import type { HbrRequest, Submission, TaskProgress } from '../../domain/request.js';
import type { Block, Piece, SlackMessage } from './blocks.js';
import { context, fitPieces, LIMITS, packLines, packPieces, section, slackMessage } from './blocks.js';
import { code, escapeMrkdwn, idGroupPieces, plural } from './format.js';
import { unknownSubmissionCause } from './hbr-sentences.js';
import { capitalized, operationWords } from './operation-words.js';
import { countsLine, outcomeGroups, requestSummary } from './outcome-text.js';
import { failureText } from './request.js';

const PHASE_TEXT: Readonly<Record<TaskProgress['phase'], string>> = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  expired: 'expired at HBR',
  cancelled: 'cancelled',
  timed_out: 'hbr-bot stopped waiting (timed out)',
};

function taskLine(request: HbrRequest, submission: Submission, position: number, of: number): string {
  const batch = `Batch ${position}/${of} (${plural(submission.instanceIds.length, 'instance')})`;
  if (submission.taskId === null) {
    const unknownCause = submission.instances
      .map((i) => unknownSubmissionCause(i.errorCode))
      .find((cause) => cause !== undefined);
    if (unknownCause !== undefined) return `• ${batch}: outcome unknown — ${unknownCause}`;
    const refused = submission.instances.filter((i) => !i.valid).length;
    return refused > 0 && refused === submission.instances.length
      ? `• ${batch}: no task — HBR refused every instance`
      : `• ${batch}: HBR started no task`;
  }
  const task = request.tasks.find((t) => t.taskId === submission.taskId);
  const taskRef = `task ${code(submission.taskId, 60)}`;
  if (!task) return `• ${batch} · ${taskRef} · submitted, first status check pending`;
  const percent = task.progress < 0 ? 'HBR reports failure' : progressStep(task.progress);
  return `• ${batch} · ${taskRef} · ${PHASE_TEXT[task.phase]} · ${percent}`;
}

/**
 * Progress in quarter steps ("50%+"). The reply is edited only when its text changes, so coarse
 * steps bound the edits per task to a handful however many polls it takes (Slack's Tier 3 budget
 * for chat.update is about 50 a minute per workspace).
 */
export function progressStep(progress: number): string {
  const clamped = Math.max(0, Math.min(100, progress));
  if (clamped >= 100) return '100%';
  const step = Math.floor(clamped / 25) * 25;
  return step === 0 ? 'starting' : `${step}%+`;
}

/** The thread reply with the request's progress; fits Slack's limits for any request size. */
export function progressMessage(request: HbrRequest): SlackMessage {
  const { verb } = operationWords(request.operation);
  const { outcomes, summary, line, names } = requestSummary(request);

  const head: Block[] = [
    section(
      `*${capitalized(verb)} progress* for request ${code(request.id, 60)} in ${code(request.region, 60)}: *${line}*`,
    ),
    context(countsLine(summary, request.operation)),
  ];
  const tail: Block[] = request.failure || request.status === 'failed' ? [section(`:x: ${failureText(request)}`)] : [];

  const submissions = [...request.submissions].sort((a, b) => a.index - b.index);
  const taskTexts =
    submissions.length === 0
      ? []
      : packLines(['*HBR tasks:*', ...submissions.map((s, i) => taskLine(request, s, i + 1, submissions.length))]);

  const refused = outcomes.filter((o) => o.kind === 'refused');
  const refusalPieces: Piece[] =
    refused.length === 0
      ? []
      : packPieces([
          { text: `*HBR refused ${plural(refused.length, 'instance')} at once:*`, count: 0 },
          ...idGroupPieces(outcomeGroups(refused, request.operation, true), { inlineUpTo: 10, names }),
        ]);

  // Tasks are few (one per 20 instances); refusals take what room is left.
  const taskBudget = Math.max(1, LIMITS.blocks - head.length - tail.length - 2);
  const tasks = fitPieces(
    taskTexts.map((text) => ({ text, count: 1 })),
    taskBudget,
  );
  const taskBlocks: Block[] = tasks.kept.map((p) => section(p.text));
  if (tasks.omitted > 0) taskBlocks.push(context(`…and ${plural(tasks.omitted, 'more section')} of tasks not shown.`));

  const refusalBudget = LIMITS.blocks - head.length - tail.length - taskBlocks.length;
  const refusals = fitPieces(refusalPieces, Math.max(0, refusalBudget));
  const refusalBlocks: Block[] = refusals.kept.map((p) => section(p.text));
  if (refusals.omitted > 0)
    refusalBlocks.push(context(`…and ${plural(refusals.omitted, 'more refused instance')} not listed.`));

  return slackMessage(`Progress of HBR ${verb} request ${escapeMrkdwn(request.id)}: ${line}`, [
    ...head,
    ...refusalBlocks,
    ...taskBlocks,
    ...tail,
  ]);
}
