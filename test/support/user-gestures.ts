// What a person does in Slack, as the resilience and security tests need it: open the deploy form, fill
// it with the recipe's mnist example, submit it, approve the request. Built on the signed driver, so
// every gesture goes through the bot's real HTTP receiver.
import { waitFor } from '../../sandbox/slack/wait-for';
import type { StoredMessage } from '../../sandbox/slack';
import type { FieldValue } from '../../sandbox/slack/driver';
import { exampleDeployForm, STACK_CHANNEL, STACK_USERS, type EmbeddedStack } from '../../dev/embedded-stack';
import { createThreadReader } from './stack-probes';

/** The deploy form filled like the recipe's mnist example; `overrides` replace single fields. */
export function deployFields(endpoint: string, overrides: Record<string, FieldValue> = {}): Record<string, FieldValue> {
  return { ...exampleDeployForm(endpoint), ...overrides };
}

/** `/batch-score deploy` and the modal it opens; returns the view id. */
export async function openDeployModal(stack: EmbeddedStack, user: string = STACK_USERS.requester, channel: string = STACK_CHANNEL): Promise<string> {
  const before = new Set(stack.slack.views().map((v) => v.id));
  const res = await stack.driver.slash('deploy', { user, channel });
  if (res.status !== 200) throw new Error(`the bot answered /batch-score deploy with HTTP ${res.status}`);
  const view = await waitFor(() => stack.slack.views().find((v) => !before.has(v.id) && v.open), { what: 'the deploy modal' });
  return view.id;
}

/** Fills and submits the deploy form, then waits for the approval request in the channel. */
export async function requestDeploy(
  stack: EmbeddedStack,
  endpoint: string,
  opts: { user?: string; overrides?: Record<string, FieldValue>; channel?: string } = {},
): Promise<StoredMessage> {
  const user = opts.user ?? STACK_USERS.requester;
  const channel = opts.channel ?? STACK_CHANNEL;
  const viewId = await openDeployModal(stack, user, channel);
  const submitted = await stack.driver.fillAndSubmit(viewId, deployFields(endpoint, opts.overrides), { user });
  if (submitted.outcome.kind !== 'closed') throw new Error(`the deploy form was not accepted: ${JSON.stringify(submitted.outcome)}`);
  const threads = createThreadReader(stack.slack, channel);
  return waitFor(() => threads.parentWith(endpoint), { what: `the request for ${endpoint}`, timeoutMs: 10_000 });
}

/** A deploy requested by the requester and approved by the approver; returns the request's parent message. */
export async function deployApproved(stack: EmbeddedStack, endpoint: string, overrides: Record<string, FieldValue> = {}): Promise<StoredMessage> {
  const parent = await requestDeploy(stack, endpoint, { overrides });
  const res = await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: STACK_USERS.approver });
  if (res.status !== 200) throw new Error(`the bot answered the approval click with HTTP ${res.status}`);
  return parent;
}
