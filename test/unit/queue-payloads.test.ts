// The shapes the queues carry.
import { flushJobSchema, notifyEntrySchema, opsJobSchema, watchJobSchema } from '../../src/queue/payloads';

const requester = { userId: 'U0ALICE001', teamId: 'T0SANDBOX01', channelId: 'C0MLOPS0001' };
const entry = { requestId: 'req-1', channel: 'C0MLOPS0001', key: 'k', text: 'hello' };

describe('notify entries', () => {
  it('accepts a thread reply and a parent', () => {
    expect(notifyEntrySchema.parse({ ...entry, op: 'reply', replyBroadcast: true }).replyBroadcast).toBe(true);
    expect(notifyEntrySchema.safeParse({ ...entry, op: 'upsert-parent', blocks: [{ type: 'divider' }] }).success).toBe(true);
  });

  it('refuses an in-place update without the slot it updates', () => {
    const result = notifyEntrySchema.safeParse({ ...entry, op: 'upsert-in-thread' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['slot']);
  });

  it('refuses an ephemeral message without its user, and a response_url entry without the URL', () => {
    expect(notifyEntrySchema.safeParse({ ...entry, op: 'ephemeral' }).error?.issues[0]?.path).toEqual(['user']);
    expect(notifyEntrySchema.safeParse({ ...entry, op: 'response-url' }).error?.issues[0]?.path).toEqual(['responseUrl']);
  });

  it('refuses more blocks than Slack shows in one message', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect(notifyEntrySchema.safeParse({ ...entry, op: 'reply', blocks }).success).toBe(false);
  });
});

describe('job payloads', () => {
  it('starts a watch at zero polls', () => {
    const job = watchJobSchema.parse({
      requestId: 'req-1',
      requester,
      endpointName: 'fraud-ep',
      jobName: 'batchjob-1',
      scoringUri: 'http://127.0.0.1:9/endpoints/fraud-ep/jobs',
      startedAt: 1,
    });
    expect(job.polls).toBe(0);
  });

  it('refuses an ops job whose response_url is not a URL', () => {
    expect(opsJobSchema.safeParse({ requestId: 'req-1', requester, command: {}, responseUrl: 'not a url' }).success).toBe(false);
  });
});

describe('notify flush jobs', () => {
  it('carries the request and the epoch it drains', () => {
    expect(flushJobSchema.parse({ requestId: 'req-1', epoch: 3 })).toEqual({ requestId: 'req-1', epoch: 3 });
  });

  it('refuses a flush job without a whole epoch or with a request id BullMQ could not use', () => {
    expect(flushJobSchema.safeParse({ requestId: 'req-1' }).success).toBe(false);
    expect(flushJobSchema.safeParse({ requestId: 'req-1', epoch: 1.5 }).success).toBe(false);
    expect(flushJobSchema.safeParse({ requestId: 'req:1', epoch: 0 }).success).toBe(false);
  });
});

describe('request ids', () => {
  it('refuses a request id BullMQ could not use in a job id', () => {
    expect(notifyEntrySchema.safeParse({ ...entry, requestId: 'req:1', op: 'reply' }).success).toBe(false);
    expect(notifyEntrySchema.safeParse({ ...entry, requestId: 'req 1', op: 'reply' }).success).toBe(false);
  });
});
