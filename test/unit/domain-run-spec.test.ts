import { runSpecSchema } from '../../src/domain/run-spec';

const folder = 'azureml://datastores/workspaceblobstore/paths/mnist/';

function issues(input: unknown): { path: string; message: string }[] {
  const parsed = runSpecSchema.safeParse(input);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('runSpecSchema', () => {
  it('accepts a folder input on the default deployment without an output', () => {
    expect(runSpecSchema.parse({ endpointName: 'mnist-batch', input: { kind: 'UriFolder', uri: folder } })).toEqual({
      endpointName: 'mnist-batch',
      input: { kind: 'UriFolder', uri: folder },
    });
  });

  it('accepts a named deployment, a file input and a datastore output file', () => {
    const spec = runSpecSchema.parse({
      endpointName: 'mnist-batch',
      deploymentName: 'mnist-torch',
      input: { kind: 'UriFile', uri: 'https://pipelinedata.blob.core.windows.net/sampledata/mnist/0.png' },
      output: { uri: 'azureml://datastores/workspaceblobstore/paths/mnist-batch/out/predictions.csv' },
    });
    expect(spec.output?.uri).toBe('azureml://datastores/workspaceblobstore/paths/mnist-batch/out/predictions.csv');
  });

  it('normalizes URIs to their canonical text, and parsing again changes nothing', () => {
    const once = runSpecSchema.parse({ endpointName: 'ep-1', input: { kind: 'UriFolder', uri: ' AZUREML://Datastores/ds/Paths/a/ ' } });
    expect(once.input.uri).toBe('azureml://datastores/ds/paths/a/');
    expect(runSpecSchema.parse(once)).toEqual(once);
  });

  it('accepts a data asset as input', () => {
    const uri = 'azureml://locations/eastus/workspaces/ws1/data/mnist/versions/1';
    expect(runSpecSchema.parse({ endpointName: 'ep-1', input: { kind: 'UriFolder', uri } }).input.uri).toBe(uri);
  });

  it('refuses an input that is not a data reference, with the reason', () => {
    expect(issues({ endpointName: 'ep-1', input: { kind: 'UriFolder', uri: 'http://example.com/a' } })).toEqual([
      { path: 'input.uri', message: expect.stringMatching(/use https:\/\//) },
    ]);
  });

  it('refuses a UriFile input that names a folder', () => {
    expect(issues({ endpointName: 'ep-1', input: { kind: 'UriFile', uri: folder } })).toEqual([
      { path: 'input.uri', message: expect.stringMatching(/must name a file/) },
    ]);
  });

  it('refuses an output on a public URL or a data asset', () => {
    for (const uri of ['https://example.com/out.csv', 'azureml://locations/eastus/workspaces/ws1/data/out/versions/1']) {
      expect(issues({ endpointName: 'ep-1', input: { kind: 'UriFolder', uri: folder }, output: { uri } })).toEqual([
        { path: 'output.uri', message: expect.stringMatching(/must be a file on a datastore/) },
      ]);
    }
  });

  it('refuses an output that is a folder', () => {
    expect(
      issues({ endpointName: 'ep-1', input: { kind: 'UriFolder', uri: folder }, output: { uri: 'azureml://datastores/ds/paths/out/' } }),
    ).toEqual([{ path: 'output.uri', message: expect.stringMatching(/must name a file/) }]);
  });

  it('accepts the long datastore form as output', () => {
    const uri = 'azureml://subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/workspaces/ws1/datastores/ds/paths/o/p.csv';
    expect(runSpecSchema.parse({ endpointName: 'ep-1', input: { kind: 'UriFolder', uri: folder }, output: { uri } }).output?.uri).toBe(uri);
  });

  it('refuses bad endpoint and deployment names and an unknown input kind', () => {
    const found = issues({ endpointName: '1bad', deploymentName: 'x', input: { kind: 'MLTable', uri: folder } }).map((i) => i.path);
    expect(found).toEqual(expect.arrayContaining(['endpointName', 'deploymentName', 'input.kind']));
  });
});
