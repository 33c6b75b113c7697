import { findInvokedJob } from '../../src/azureml/invoked-job';
import type { Job } from '../../src/azureml/resources';

const T0 = Date.parse('2026-11-27T10:00:00Z');
function job(name: string, createdAt: number, input: string, extra: { output?: string; deployment?: string } = {}): Job {
  return {
    id: `/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/jobs/${name}`,
    name,
    systemData: { createdAt: new Date(createdAt).toISOString() },
    properties: {
      jobType: 'Pipeline',
      status: 'Running',
      properties: extra.deployment ? { 'azureml.deploymentName': extra.deployment } : {},
      inputs: { input_data: { jobInputType: 'uri_folder', uri: input } },
      outputs: { score: { jobOutputType: 'uri_file', uri: extra.output ?? `azureml://datastores/workspaceblobstore/paths/azureml/${name}/score/` } },
    },
  } as unknown as Job;
}

const INPUT = 'azureml://datastores/workspaceblobstore/paths/mnist/in';

describe('finding the job an earlier invoke started', () => {
  it('adopts the earliest job with the same input created since the first attempt', () => {
    const jobs = [job('late', T0 + 5_000, INPUT), job('first', T0 + 1_000, INPUT), job('before', T0 - 3_600_000, INPUT)];
    expect(findInvokedJob(jobs, { inputUri: INPUT, since: T0 })?.name).toBe('first');
  });

  it('ignores jobs with another input, output or deployment, and jobs other requests claimed', () => {
    const jobs = [
      job('other-input', T0 + 1_000, `${INPUT}-2`),
      job('other-output', T0 + 1_000, INPUT, { output: 'azureml://datastores/workspaceblobstore/paths/out/a.csv' }),
      job('other-deployment', T0 + 1_000, INPUT, { deployment: 'green' }),
      job('claimed', T0 + 1_000, INPUT, { deployment: 'blue' }),
    ];
    expect(
      findInvokedJob(jobs, {
        inputUri: INPUT,
        outputUri: 'azureml://datastores/workspaceblobstore/paths/out/b.csv',
        deploymentName: 'blue',
        since: T0,
      }),
    ).toBeUndefined();
    expect(findInvokedJob(jobs, { inputUri: INPUT, deploymentName: 'blue', since: T0, exclude: new Set(['claimed', 'other-output']) })).toBeUndefined();
    expect(findInvokedJob(jobs, { inputUri: `${INPUT}/`, deploymentName: 'blue', since: T0, exclude: new Set(['other-output']) })?.name).toBe('claimed');
  });

  it('finds nothing when no job was created (the earlier invoke never reached the service)', () => {
    expect(findInvokedJob([], { inputUri: INPUT, since: T0 })).toBeUndefined();
  });
});
