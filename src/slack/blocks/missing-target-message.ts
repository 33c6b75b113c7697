// "It is not there": what a requester is told, privately, when a request names an endpoint, deployment,
// job, cluster or asset that does not exist, or a job that cannot be cancelled any more. One plain
// sentence in our words, the next useful command, and Azure's own code and request id kept as details
// for support (never Azure's raw message, which names ARM paths and links the user cannot act on).
import type { KnownBlock } from '@slack/types';
import type { RequestProblem } from '../../usecases/request-check';
import { lookupInstead, type MissingTarget } from '../../usecases/target-not-found';
import { code, escapeMrkdwn } from '../mrkdwn';
import { context, message, section, type SlackMessage } from './block-kit';

export interface MissingTargetView {
  /** Escaped mrkdwn sentences (the caller escapes the user's names with code()). */
  sentences: readonly string[];
  /** The next useful command, as the user would type it (shown as inline code). */
  next?: { command: string; why: string };
  /** Azure's error code and request id, when the verdict came from an Azure answer. */
  azure?: { code: string; requestId?: string };
  /** What happened to the request; default "Nothing was asked or started." */
  outcome?: string;
}

export function buildMissingTargetMessage(view: MissingTargetView): SlackMessage {
  const outcome = view.outcome ?? 'Nothing was asked or started.';
  const body = view.sentences.length === 1 ? view.sentences[0]! : view.sentences.map((s) => `• ${s}`).join('\n');
  const lines = [`:grey_question: ${body}`, outcome];
  if (view.next) lines.push(`${code(view.next.command)} ${view.next.why}`);
  const blocks: KnownBlock[] = [section(lines.join('\n'))];
  if (view.azure) {
    blocks.push(context([`Azure: ${code(view.azure.code)}${view.azure.requestId ? ` · request id ${code(view.azure.requestId)}` : ''}`]));
  }
  return message(`${view.sentences[0] ?? ''} ${outcome}`, blocks);
}

/** What is missing, in one sentence, and the command that shows what is there. */
function missingWords(m: MissingTarget): { sentence: string; next: { command: string; why: string } } {
  const instead = lookupInstead(m);
  const next = { command: instead.command, why: `${instead.lists}.` };
  switch (m.kind) {
    case 'endpoint':
      return { sentence: `There is no batch endpoint ${code(m.endpointName)} in this workspace.`, next };
    case 'deployment':
      return { sentence: `Endpoint ${code(m.endpointName)} has no deployment ${code(m.deploymentName)}.`, next };
    case 'job':
      return { sentence: `There is no job ${code(m.jobName)} in this workspace.`, next };
  }
}

/** "There is no batch endpoint X", with the next useful command and Azure's code and request id. */
export function missingTargetView(missing: MissingTarget, azure: { code: string; requestId?: string | undefined }, outcome?: string): MissingTargetView {
  const { sentence, next } = missingWords(missing);
  return {
    sentences: [sentence],
    next,
    azure: { code: azure.code, ...(azure.requestId ? { requestId: azure.requestId } : {}) },
    ...(outcome ? { outcome } : {}),
  };
}

/** What the pre-flight check found wrong with a request (src/usecases/request-check.ts), in our words. */
export function requestProblemView(problem: RequestProblem): MissingTargetView {
  switch (problem.kind) {
    case 'target-missing': {
      const view = missingTargetView(problem.missing, problem.azure);
      if (problem.verb !== 'delete' || problem.missing.kind !== 'endpoint') return view;
      return { ...view, sentences: [`There is no batch endpoint ${code(problem.missing.endpointName)} in this workspace, so there is nothing to delete.`] };
    }
    case 'job-already-finished':
      return {
        sentences: [`Job ${code(problem.jobName)} already finished (${escapeMrkdwn(problem.status)}); there is nothing to cancel.`],
        next: { command: `status ${problem.jobName}`, why: 'shows how it ended.' },
      };
    case 'deploy-sources':
      return { sentences: problem.problems.map((p) => `*${p.step}*: ${escapeMrkdwn(p.message)}`), next: { command: 'deploy', why: 'opens the form again.' } };
  }
}
