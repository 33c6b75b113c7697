// The product end to end on the real stack: the Bolt HTTP receiver receiving signed requests from the
// driver, BullMQ on redis-server, the Azure ML sandbox on Azurite, the Slack stand-in. Played twice: over
// HTTP, and over Socket Mode (Bolt's SocketModeReceiver on the stand-in's WebSocket, every request an
// envelope acknowledged on the socket).
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import type { StoredMessage } from '../../sandbox/slack';
import { deployApproved as approvedDeploy, requestDeploy } from '../support/user-gestures';

const { requester, approver, bystander } = STACK_USERS;
describe.each([
  ['HTTP', false],
  ['Socket Mode', true],
])('over %s', (_transport, socketMode) => {
  let stack: EmbeddedStack;

  function textOf(m: StoredMessage): string {
    return `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
  }

  /** The top-level message of a request in the channel whose text contains `needle`. */
  function parentWith(needle: string): StoredMessage | undefined {
    return stack.slack.messages(STACK_CHANNEL).find((m) => !m.ephemeralTo && textOf(m).includes(needle));
  }

  function replies(parent: StoredMessage): StoredMessage[] {
    return stack.slack.thread(STACK_CHANNEL, parent.ts).slice(1);
  }

  async function waitForFinalReply(parent: StoredMessage, what: string, timeoutMs = 30_000): Promise<StoredMessage> {
    return stack.driver.waitFor(() => replies(parent).find((r) => /:white_check_mark:|:x:/.test(r.text) && /completed|deployed|failed|deleted|default|Cancel/.test(r.text)), {
      timeoutMs,
      what,
    });
  }

  beforeAll(async () => {
    stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 50, slackRateLimit: 'count', socketMode });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('deploys through the modal once an approver approves, with the checklist and the success reply in the thread', async () => {
    const parent = await approvedDeploy(stack, 'mnist-e2e');
    const final = await waitForFinalReply(parent, 'the deploy success reply');
    expect(final.text).toContain('deployed');
    expect(textOf(final)).toContain('Scoring URI');
    const thread = replies(parent);
    expect(thread.some((m) => m.text.includes('Deploy mnist-torch to mnist-e2e'))).toBe(true);

    const endpoint = stack.azureml.admin.resources();
    expect(JSON.stringify(endpoint)).toContain('mnist-e2e');
    // The parent lost its buttons and says who approved.
    const updated = stack.slack.message(STACK_CHANNEL, parent.ts)!;
    expect(JSON.stringify(updated.blocks)).not.toContain('approval-approve');
    expect(textOf(updated)).toContain(approver);
  });

  it('runs a job on a datastore folder and replies with the output location it asked for', async () => {
    const prefix = socketMode ? 'mnist-e2e-sm' : 'mnist-e2e';
    for (let i = 0; i < 7; i++) await stack.azureml.admin.putDatastoreFile(`${prefix}/mnist/${i}.png`, Buffer.from(`digit-${i}`));
    const output = `azureml://datastores/workspaceblobstore/paths/${prefix}/out/predictions.csv`;
    const res = await stack.driver.slash(`run mnist-e2e azureml://datastores/workspaceblobstore/paths/${prefix}/mnist --output ${output}`, {
      user: requester,
      channel: STACK_CHANNEL,
    });
    expect(JSON.stringify(res.body)).toContain('Checking request');
    const parent = await stack.driver.waitFor(() => parentWith('Run* a batch scoring job on `mnist-e2e`'), { what: 'the run request' });
    const final = await waitForFinalReply(parent, 'the job reply');
    expect(final.text).toContain('completed');
    // The ARM job's outputs are null (as Azure's are): the location comes from the request itself.
    expect(textOf(final)).toContain(output);
    expect(await stack.azureml.admin.readDatastoreFile(`${prefix}/out/predictions.csv`)).toBeDefined();
  });

  it("refuses an approval from a non-approver and an approver's own request, privately", async () => {
    // The approver asks, so approving it would be approving their own request.
    const parent = await requestDeploy(stack, 'mnist-refused', { user: approver });
    expect(textOf(parent)).toContain('Approve');
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: bystander });
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: approver });
    await stack.driver.waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, bystander).find((m) => m.text.includes('approvers')), { what: 'refusal to the bystander' });
    await stack.driver.waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, approver).find((m) => m.text.includes('yourself')), { what: 'refusal to the requester' });
    expect(JSON.stringify(stack.slack.message(STACK_CHANNEL, parent.ts)!.blocks)).toContain('approval-approve');
    expect(JSON.stringify(stack.azureml.admin.resources())).not.toContain('mnist-refused');
  });

  it('a rejected request changes its message, loses its buttons and deploys nothing', async () => {
    const parent = await requestDeploy(stack, 'mnist-rejected');
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-reject', { user: approver });
    await stack.driver.waitFor(() => textOf(stack.slack.message(STACK_CHANNEL, parent.ts)!).includes('Rejected'), { what: 'the rejected message' });
    expect(JSON.stringify(stack.slack.message(STACK_CHANNEL, parent.ts)!.blocks)).not.toContain('approval-approve');
    expect(JSON.stringify(stack.azureml.admin.resources())).not.toContain('mnist-rejected');
  });

  it('answers a malformed command with what to fix and enqueues nothing', async () => {
    const res = await stack.driver.slash('runn mnist-e2e', { user: requester, channel: STACK_CHANNEL });
    expect(JSON.stringify(res.body)).toContain('run');
    const bad = await stack.driver.slash('run mnist-e2e file:///etc/passwd', { user: requester, channel: STACK_CHANNEL });
    expect(JSON.stringify(bad.body)).toMatch(/https|azureml/);
  });
});
