import { UnrecoverableError } from 'bullmq';
import { AzureMlError } from '../../src/azureml/errors';
import { DeployStepError } from '../../src/azureml/deploy-plan';
import { liveProgressIntervalMs, nextWatchIntervalMs } from '../../src/domain/watch-pacing';
import { requestIdFrom } from '../../src/handlers/request-id';
import { describeFailure } from '../../src/usecases/failure-report';
import { isWorthRetrying } from '../../src/queue/job-payload';
import { requestIdSchema } from '../../src/queue/payloads';
import { subjectOfApproval, workRequestSchema } from '../../src/queue/work-request';

describe('watch pacing', () => {
  const policy = { minIntervalMs: 10_000, maxIntervalMs: 120_000 };

  it('starts at the floor and backs off towards the ceiling while a job runs long', () => {
    const intervals = Array.from({ length: 10 }, (_, polls) => nextWatchIntervalMs(polls, policy));
    expect(intervals[0]).toBe(10_000);
    for (let i = 1; i < intervals.length; i++) expect(intervals[i]!).toBeGreaterThanOrEqual(intervals[i - 1]!);
    expect(intervals[9]).toBe(120_000);
  });

  it("lets the server's Retry-After win when it asks for a longer wait", () => {
    expect(nextWatchIntervalMs(0, policy, 45_000)).toBe(45_000);
    expect(nextWatchIntervalMs(0, policy, 1_000)).toBe(10_000);
  });

  it("looks at a job's live progress no faster than the workspace's status-line edits can show it", () => {
    // 50 edits a minute shared by every watched job: a few jobs keep the floor, thousands share the budget.
    expect(liveProgressIntervalMs(1, policy, 50)).toBe(10_000);
    expect(liveProgressIntervalMs(8, policy, 50)).toBe(10_000);
    expect(liveProgressIntervalMs(100, policy, 50)).toBe(120_000);
    expect(liveProgressIntervalMs(5_000, policy, 50)).toBe(6_000_000);
    expect(liveProgressIntervalMs(0, policy, 0)).toBe(60_000);
  });
});

describe('request ids', () => {
  it('are the same for a retried delivery and differ between requests', () => {
    expect(requestIdFrom('slash', 'trigger-1')).toBe(requestIdFrom('slash', 'trigger-1'));
    expect(requestIdFrom('slash', 'trigger-1')).not.toBe(requestIdFrom('slash', 'trigger-2'));
    expect(requestIdFrom('slash', 'x')).not.toBe(requestIdFrom('view', 'x'));
  });

  it('are valid BullMQ job id parts (no colon)', () => {
    const id = requestIdFrom('view', 'V0000001:odd');
    expect(requestIdSchema.parse(id)).toBe(id);
    expect(id).not.toContain(':');
  });
});

describe('retry decisions', () => {
  it('retries throttling, 5xx and lost connections', () => {
    expect(isWorthRetrying(new AzureMlError({ code: 'TooManyRequests', message: 'slow down', statusCode: 429 }))).toBe(true);
    expect(isWorthRetrying(new AzureMlError({ code: 'InternalServerError', message: 'oops', statusCode: 503 }))).toBe(true);
    expect(isWorthRetrying(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBe(true);
  });

  it('reports validation, 4xx and our own refusals at once', () => {
    expect(isWorthRetrying(new AzureMlError({ code: 'ResourceNotFound', message: 'no', statusCode: 404 }))).toBe(false);
    expect(isWorthRetrying(new UnrecoverableError('bad payload'))).toBe(false);
    expect(isWorthRetrying(Object.assign(new Error('exists'), { code: 'OutputAlreadyExists' }))).toBe(false);
  });

  it('looks through a failed deploy step to the Azure error', () => {
    const step = new DeployStepError('deployment', new AzureMlError({ code: 'ServiceUnavailable', message: 'busy', statusCode: 503 }));
    expect(isWorthRetrying(step)).toBe(true);
  });
});

describe('failure reports', () => {
  it("carry the step, the service's code and message and its request id", () => {
    const err = new DeployStepError(
      'deployment',
      new AzureMlError({ code: 'DeploymentFailed', message: 'image pull failed', statusCode: 400, requestId: 'req-123' }),
    );
    expect(describeFailure(err)).toEqual({ step: 'deployment', code: 'DeploymentFailed', message: 'image pull failed', requestId: 'req-123' });
  });

  it('name our own errors by their code', () => {
    expect(describeFailure(Object.assign(new Error('pick a new file'), { code: 'OutputAlreadyExists' }), 'invoke')).toEqual({
      step: 'invoke',
      code: 'OutputAlreadyExists',
      message: 'pick a new file',
    });
  });
});

describe('work requests carried by approvals', () => {
  it('round-trip a command through the schema', () => {
    const work = { kind: 'command' as const, command: { verb: 'delete' as const, endpointName: 'mnist-batch' } };
    expect(workRequestSchema.parse(JSON.parse(JSON.stringify(work)))).toEqual(work);
    expect(subjectOfApproval(work)).toEqual(work);
  });

  it('show an unreadable stored request as something harmless rather than failing', () => {
    expect(subjectOfApproval({ kind: 'deploy', spec: { nope: true } })).toEqual({ kind: 'command', command: { verb: 'help' } });
  });
});
