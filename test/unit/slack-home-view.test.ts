import { buildHomeView, MAX_HOME_APPROVALS } from '../../src/slack/home/home-view';

const NOW = Date.UTC(2026, 11, 2, 10, 0);
const run = { kind: 'run' as const, spec: { endpointName: 'mnist-batch', input: { kind: 'UriFolder' as const, uri: 'azureml://datastores/workspaceblobstore/paths/mnist/' } } };

describe('the Home tab', () => {
  it('stays within Slack’s 100 blocks and counts what it leaves out', () => {
    const view = buildHomeView({
      endpoints: Array.from({ length: 500 }, (_, i) => ({ name: `endpoint-${i}`, defaultDeployment: 'blue', deployments: ['blue', 'green'] })),
      locks: Array.from({ length: 300 }, (_, i) => ({ endpointName: `endpoint-${i}`, lockedBy: 'U0ALICE001', lockedAt: NOW, reason: 'x'.repeat(300) })),
      requests: Array.from({ length: 10 }, (_, i) => ({ requestId: `r${i}`, kind: 'run', status: 'running', summary: `run ${i}`, updatedAt: NOW, jobName: `job-${i}` })),
      approvals: Array.from({ length: 40 }, (_, i) => ({ id: `a${i}`, requesterId: 'U0ALICE001', subject: run, expiresAt: NOW })),
    });
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const json = JSON.stringify(view.blocks);
    expect(json.match(/approval-approve/g)).toHaveLength(MAX_HOME_APPROVALS);
    expect(json).toContain(`…and ${40 - MAX_HOME_APPROVALS} more`);
    const blockIds = view.blocks.map((b) => b.block_id).filter(Boolean);
    expect(new Set(blockIds).size).toBe(blockIds.length);
    for (const b of view.blocks) expect(JSON.stringify(b).length).toBeLessThan(3_500);
  });

  it('escapes user text: summaries, lock reasons and names cannot ping or link', () => {
    const view = buildHomeView({
      endpoints: [{ name: 'ep', deployments: [] }],
      locks: [{ endpointName: 'ep', lockedBy: 'U0ALICE001', lockedAt: NOW, reason: '<!channel> <https://evil.example.com|innocent> @here' }],
      requests: [{ requestId: 'r1', kind: 'ops', status: 'queued', summary: 'delete <@U0BOB00001>', updatedAt: NOW }],
      approvals: [],
    });
    const json = JSON.stringify(view.blocks);
    expect(json).not.toMatch(/<!channel>|<https:\/\/evil|<@U0BOB00001>|@here/);
    expect(json).toContain('_no default deployment_');
  });
});
