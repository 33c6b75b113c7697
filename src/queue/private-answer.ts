// A private answer to the one who asked (a look-up's result, a pre-flight refusal): through the slash
// command's response_url when there is one, else an ephemeral message in the channel (forms and buttons
// have no response_url). Said once here for the ops worker and the pre-flight step.
import type { SlackMessage } from '../slack/blocks/block-kit';
import type { Requester } from './payloads';
import type { WorkerContext } from './worker-context';

export interface PrivateAnswerTo {
  requestId: string;
  requester: Requester;
  responseUrl?: string | undefined;
}

/** `key` keeps the answer to one per request and purpose, however often a step runs. */
export async function answerPrivately(ctx: Pick<WorkerContext, 'outbox'>, to: PrivateAnswerTo, answer: SlackMessage, key: string): Promise<void> {
  const { requestId, requester } = to;
  if (to.responseUrl) {
    await ctx.outbox.enqueue({ requestId, channel: requester.channelId, op: 'response-url', key, responseUrl: to.responseUrl, ...answer });
  } else {
    await ctx.outbox.enqueue({ requestId, channel: requester.channelId, op: 'ephemeral', key, user: requester.userId, ...answer });
  }
}
