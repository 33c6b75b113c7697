// The client's own schemas read every body Azure PowerShell's recordings show (2024-04-01: newer than the
// 2022-05-01 the client is written against): a field added, a null where a value was, a compute instance
// in the compute list or an Azure Files datastore in the datastore list must not make a whole answer
// unreadable. The sandbox's side of the same exchanges is held by recorded-replay.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { snapshotEntryOf } from '../../src/queue/job-status-snapshot';
import {
  armListPageSchema,
  batchDeploymentSchema,
  batchEndpointSchema,
  computeSchema,
  datastoreSchema,
  jobSchema,
} from '../../src/azureml/resources';

const DIR = path.resolve(__dirname, '../../../shared/azureml/recordings/azure-powershell');

interface Exchange {
  Request: { Method: string; RequestUri: string };
  Response: { StatusCode: number; Content: string | null };
}

/** Which client schema reads an answer, by the route it came from. */
const READERS: Array<{ route: RegExp; schema: z.ZodType }> = [
  { route: /\/batchEndpoints\/[^/]+\/deployments$/, schema: armListPageSchema(batchDeploymentSchema) },
  { route: /\/batchEndpoints\/[^/]+\/deployments\/[^/]+$/, schema: batchDeploymentSchema },
  { route: /\/batchEndpoints$/, schema: armListPageSchema(batchEndpointSchema) },
  { route: /\/batchEndpoints\/[^/]+$/, schema: batchEndpointSchema },
  { route: /\/computes$/, schema: armListPageSchema(computeSchema) },
  { route: /\/computes\/[^/]+$/, schema: computeSchema },
  { route: /\/datastores$/, schema: armListPageSchema(datastoreSchema) },
  { route: /\/datastores\/[^/]+$/, schema: datastoreSchema },
  { route: /\/jobs$/, schema: armListPageSchema(jobSchema) },
  { route: /\/jobs\/[^/]+$/, schema: jobSchema },
];

const bodies = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .flatMap((file) =>
    Object.values(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Record<string, Exchange>)
      .filter((x) => x.Request.Method === 'GET' && x.Response.Content && !/OperationsStatus/.test(x.Request.RequestUri))
      .map((x) => ({ file, route: x.Request.RequestUri.split('?')[0]!, body: JSON.parse(x.Response.Content!) as unknown })),
  );

describe("the client's schemas read Azure PowerShell's recorded answers", () => {
  it('finds a reader for every recorded GET answer', () => {
    const unread = bodies.filter((b) => !READERS.some((r) => r.route.test(b.route)));
    expect(unread.map((b) => b.route)).toEqual([]);
    expect(bodies.length).toBeGreaterThanOrEqual(12);
  });

  it.each(bodies.map((b) => [`${b.file} ${b.route.replace(/.*\/workspaces\/[^/]+/, '')}`, b] as const))('%s', (_label, b) => {
    const reader = READERS.find((r) => r.route.test(b.route))!;
    const parsed = reader.schema.safeParse(b.body);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it("keeps a recorded command job's status, output and studio link in the watch's snapshot", () => {
    const job = bodies.find((b) => /\/jobs\/commandjob01$/.test(b.route))!;
    const entry = snapshotEntryOf(jobSchema.parse(job.body));
    expect(entry).toEqual({
      status: 'Completed',
      outputUri: 'azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.commandjob01',
      studioUrl: expect.stringMatching(/^https:\/\/ml\.azure\.com\/runs\/commandjob01\?wsid=/),
    });
  });
});
