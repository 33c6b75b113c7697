import { invokedJobCandidates, isInvokeOf } from '../../src/azureml/invoked-job';
import type { Job } from '../../src/azureml/resources';
import type { ScoringJob } from '../../src/azureml/scoring';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const ENDPOINT = 'mnist-batch';

/** An ARM job as Azure lists it (recorded shape): experimentName = endpoint, deployment in tags, inputs/outputs null. */
function armJob(name: string, createdAt: number, extra: { endpoint?: string; deployment?: string } = {}): Job {
  return {
    id: `/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/jobs/${name}`,
    name,
    systemData: { createdAt: new Date(createdAt).toISOString() },
    properties: {
      jobType: 'Pipeline',
      status: 'Running',
      experimentName: extra.endpoint ?? ENDPOINT,
      tags: { 'azureml.batchrun': 'true', 'azureml.deploymentname': extra.deployment ?? 'blue' },
      properties: {},
      inputs: null,
      outputs: null,
    },
  } as unknown as Job;
}

/** The data-plane document of a job (recorded shape): inputData echoed, output confirmed or nulls. */
function doc(input: string, output?: { datastoreId: string; path: string }): ScoringJob {
  return {
    id: `/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/batchEndpoints/${ENDPOINT}/deployments/blue/jobs/j`,
    properties: {
      inputData: { input_data: { uri: input, jobInputType: 'UriFolder' } },
      output: output ?? { datastoreId: null, path: null },
    },
  } as unknown as ScoringJob;
}

const INPUT = 'azureml://datastores/workspaceblobstore/paths/mnist/in';

describe('finding the job an earlier invoke started', () => {
  it('lists the endpoint’s jobs created since the first attempt, oldest first, by experimentName and deployment tag', () => {
    const jobs = [
      armJob('late', T0 + 5_000),
      armJob('first', T0 + 1_000),
      armJob('before', T0 - 3_600_000),
      armJob('other-endpoint', T0 + 1_000, { endpoint: 'other' }),
      armJob('other-deployment', T0 + 1_000, { deployment: 'green' }),
      armJob('claimed', T0 + 2_000),
    ];
    const found = invokedJobCandidates(jobs, { endpointName: ENDPOINT, inputUri: INPUT, deploymentName: 'blue', since: T0, exclude: new Set(['claimed']) });
    expect(found.map((j) => j.name)).toEqual(['first', 'late']);
  });

  it('finds nothing when no job was created (the earlier invoke never reached the service)', () => {
    expect(invokedJobCandidates([], { endpointName: ENDPOINT, inputUri: INPUT, since: T0 })).toEqual([]);
  });

  it('tells the invoke apart by the data-plane document’s inputData and confirmed output', () => {
    const query = { endpointName: ENDPOINT, inputUri: INPUT, since: T0 };
    expect(isInvokeOf(doc(`${INPUT}/`), query)).toBe(true);
    expect(isInvokeOf(doc(`${INPUT}-2`), query)).toBe(false);
    const withOutput = { ...query, outputUri: 'azureml://datastores/workspaceblobstore/paths/out/b.csv' };
    expect(isInvokeOf(doc(INPUT, { datastoreId: '/subscriptions/s/.../datastores/workspaceblobstore', path: 'out/b.csv' }), withOutput)).toBe(true);
    expect(isInvokeOf(doc(INPUT, { datastoreId: '/subscriptions/s/.../datastores/workspaceblobstore', path: 'out/a.csv' }), withOutput)).toBe(false);
    // The service confirmed nothing: the input decides.
    expect(isInvokeOf(doc(INPUT), withOutput)).toBe(true);
  });
});
