// The plan builder (pure): facts in, items and a fingerprint out.
import { buildChangePlan, factsFingerprint, planLines, settingsDiff, type ChangeFacts } from '../../src/usecases/change-plan';
import { assetRef } from '../../src/usecases/change-facts';
import { changePlanBlocks } from '../../src/slack/blocks/change-plan-blocks';

const redeploy: ChangeFacts = {
  kind: 'deploy',
  endpointName: 'ep',
  deploymentName: 'blue',
  makeDefault: false,
  compute: { name: 'cpu', exists: false },
  assets: [{ what: 'model', ref: 'm:abc', source: 'upload', exists: false }],
  endpoint: { exists: true, defaultDeployment: 'green' },
  live: { instanceCount: '1', miniBatchSize: '5', loggingLevel: 'Info', 'retrySettings.timeout': 'PT30S', model: 'm:old' },
  wanted: { instanceCount: '2', miniBatchSize: '5', loggingLevel: 'info', 'retrySettings.timeout': 'PT60S', model: 'm:abc', errorThreshold: '10' },
};

describe('buildChangePlan', () => {
  it('diffs a redeploy field by field, in a fixed order, with unknown live values as (none)', () => {
    expect(settingsDiff(redeploy.kind === 'deploy' ? redeploy.live! : {}, redeploy.kind === 'deploy' ? redeploy.wanted : {})).toEqual([
      { field: 'instanceCount', from: '1', to: '2' },
      { field: 'retrySettings.timeout', from: 'PT30S', to: 'PT60S' },
      { field: 'errorThreshold', from: '(none)', to: '10' },
      { field: 'model', from: 'm:old', to: 'm:abc' },
    ]);
    const plan = buildChangePlan(redeploy);
    expect(plan.items.map((i) => `${i.change} ${i.what} ${i.name}`)).toEqual(['create cluster cpu', 'create model m:abc', 'reuse endpoint ep', 'change deployment blue', 'keep default green']);
    expect(planLines(plan).join('\n')).toContain('instanceCount: 1 → 2');
  });

  it('says where traffic moves, and that an equal default moves nothing', () => {
    expect(buildChangePlan({ kind: 'set-default', endpointName: 'ep', deploymentName: 'b', currentDefault: 'a' }).items[0]).toMatchObject({ change: 'move', detail: 'traffic moves from a to b' });
    expect(buildChangePlan({ kind: 'set-default', endpointName: 'ep', deploymentName: 'b', currentDefault: 'b' }).items[0]).toMatchObject({ change: 'keep' });
  });

  it('lists what a delete removes and the jobs it ends, shortened past 20 of each', () => {
    const deployments = Array.from({ length: 25 }, (_, i) => `d${i}`);
    const plan = buildChangePlan({ kind: 'delete', endpointName: 'ep', deployments, defaultDeployment: 'd0', runningJobs: [{ name: 'j1', status: 'Running' }] });
    expect(plan.items.filter((i) => i.what === 'deployment')).toHaveLength(20);
    expect(plan.items.find((i) => i.name === 'd0')?.detail).toBe('the default');
    expect(plan.items.find((i) => i.what === 'job')).toMatchObject({ name: 'j1', change: 'running' });
    expect(plan.omitted).toBe(5);
  });

  it('fingerprints the facts: the same facts agree, any change differs', () => {
    const a = factsFingerprint({ kind: 'set-default', endpointName: 'ep', deploymentName: 'b', currentDefault: 'a' });
    expect(factsFingerprint({ kind: 'set-default', endpointName: 'ep', deploymentName: 'b', currentDefault: 'a' })).toBe(a);
    expect(factsFingerprint({ kind: 'set-default', endpointName: 'ep', deploymentName: 'b', currentDefault: 'c' })).not.toBe(a);
  });
});

it('reads asset ids as name:version, a registry one with its registry', () => {
  expect(assetRef('/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/models/m/versions/3')).toBe('m:3');
  expect(assetRef('azureml://registries/azureml/environments/sklearn/versions/7')).toBe('azureml/sklearn:7');
  expect(assetRef(undefined)).toBeUndefined();
});

it('escapes user-controlled names in the Slack plan', () => {
  const plan = buildChangePlan({ kind: 'delete', endpointName: 'ep', deployments: ['<!channel>'], runningJobs: [{ name: 'j`<@U1>', status: '@here' }] });
  const text = JSON.stringify(changePlanBlocks(plan));
  expect(text).not.toContain('<!channel>');
  expect(text).not.toContain('<@U1>');
  expect(text).not.toMatch(/(^|[^\u200d])@here/);
});
