import fc from 'fast-check';
import {
  DataReferenceError,
  describeDataReference,
  formatDataReference,
  parseDataReference,
  pointsAtFile,
  type DataReference,
  type DataReferenceErrorCode,
} from '../../src/domain/data-reference';

const SUB = '00000000-1111-2222-3333-444444444444';

function refusal(uri: string): DataReferenceError {
  try {
    parseDataReference(uri);
  } catch (error) {
    if (error instanceof DataReferenceError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(uri)} to be refused`);
}

describe('parseDataReference: accepted forms', () => {
  it('reads a public https folder and file, as in the recipe', () => {
    expect(parseDataReference('https://pipelinedata.blob.core.windows.net/sampledata/mnist')).toEqual({
      kind: 'https',
      url: 'https://pipelinedata.blob.core.windows.net/sampledata/mnist',
    });
    const file = parseDataReference('https://pipelinedata.blob.core.windows.net/sampledata/mnist/0.png');
    expect(file).toEqual({ kind: 'https', url: 'https://pipelinedata.blob.core.windows.net/sampledata/mnist/0.png' });
    expect(pointsAtFile(file)).toBe(true);
  });

  it('keeps a harmless query string on a public URL', () => {
    expect(parseDataReference('https://example.com/data.csv?raw=true')).toEqual({ kind: 'https', url: 'https://example.com/data.csv?raw=true' });
  });

  it('ignores whitespace around a pasted reference', () => {
    expect(parseDataReference('  https://example.com/a/  ')).toEqual({ kind: 'https', url: 'https://example.com/a/' });
  });

  it('reads the short datastore form for a folder and a file', () => {
    expect(parseDataReference('azureml://datastores/workspaceblobstore/paths/mnist-batch/mnist/')).toEqual({
      kind: 'datastore',
      datastore: 'workspaceblobstore',
      path: 'mnist-batch/mnist/',
      form: 'short',
    });
    const file = parseDataReference('azureml://datastores/workspaceblobstore/paths/out/predictions.csv');
    expect(file).toMatchObject({ kind: 'datastore', path: 'out/predictions.csv' });
    expect(pointsAtFile(file)).toBe(true);
  });

  it('reads the long datastore form with its workspace scope', () => {
    expect(
      parseDataReference(`azureml://subscriptions/${SUB}/resourceGroups/my-rg/workspaces/my-ws/datastores/workspaceblobstore/paths/ep/mnist/`),
    ).toEqual({
      kind: 'datastore',
      datastore: 'workspaceblobstore',
      path: 'ep/mnist/',
      form: 'long',
      subscriptionId: SUB,
      resourceGroup: 'my-rg',
      workspace: 'my-ws',
    });
  });

  it('treats segment names and the scheme case-insensitively, as Azure does', () => {
    expect(parseDataReference('AzureML://DataStores/ds_1/Paths/a/b')).toMatchObject({ kind: 'datastore', datastore: 'ds_1', path: 'a/b' });
    expect(
      parseDataReference(`azureml://SUBSCRIPTIONS/${SUB}/resourcegroups/rg/WORKSPACES/ws1/datastores/ds/paths/x`),
    ).toMatchObject({ form: 'long', resourceGroup: 'rg' });
  });

  it('reads a data asset id, with or without the trailing slash', () => {
    const expected: DataReference = { kind: 'data-asset', form: 'asset-id', location: 'chinaeast2', workspace: 'my-ws', name: 'mnist', version: '1' };
    expect(parseDataReference('azureml://locations/chinaeast2/workspaces/my-ws/data/mnist/versions/1')).toEqual(expected);
    expect(parseDataReference('azureml://locations/chinaeast2/workspaces/my-ws/data/mnist/versions/1/')).toEqual(expected);
  });

  it('reads a data asset ARM id in any case', () => {
    const expected: DataReference = {
      kind: 'data-asset',
      form: 'arm-id',
      subscriptionId: SUB,
      resourceGroup: 'rg',
      workspace: 'ws1',
      name: 'mnist',
      version: '2',
    };
    expect(
      parseDataReference(`/subscriptions/${SUB}/resourcegroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/data/mnist/versions/2`),
    ).toEqual(expected);
    expect(
      parseDataReference(`/SUBSCRIPTIONS/${SUB}/resourceGroups/rg/providers/microsoft.machinelearningservices/workspaces/ws1/data/mnist/versions/2/`),
    ).toEqual(expected);
  });
});

describe('parseDataReference: refusals', () => {
  const cases: [string, string, DataReferenceErrorCode][] = [
    ['an empty reference', '', 'EmptyReference'],
    ['a blank reference', '   \t ', 'EmptyReference'],
    ['plain http', 'http://example.com/data', 'InsecureHttp'],
    ['a file: URL', 'file:///etc/passwd', 'UnsupportedScheme'],
    ['an s3 URL', 's3://bucket/key', 'UnsupportedScheme'],
    ['a wasbs URL', 'wasbs://container@account.blob.core.windows.net/data', 'UnsupportedScheme'],
    ['an abfss URL', 'abfss://fs@account.dfs.core.windows.net/data', 'UnsupportedScheme'],
    ['a relative path', 'data/mnist', 'RelativePath'],
    ['a dot-relative path', './data/mnist', 'RelativePath'],
    ['an absolute local path', '/home/me/data', 'RelativePath'],
    ['a parent segment in a datastore path', 'azureml://datastores/ds/paths/a/../b', 'PathTraversal'],
    ['a percent-encoded parent segment', 'azureml://datastores/ds/paths/a/%2e%2E/b', 'PathTraversal'],
    ['a parent segment in an https URL', 'https://example.com/a/../b', 'PathTraversal'],
    ['a dot segment', 'azureml://datastores/ds/paths/./b', 'PathTraversal'],
    ['a control character', 'https://example.com/a\u0007b', 'ControlCharacter'],
    ['a newline', 'azureml://datastores/ds/paths/a\nb', 'ControlCharacter'],
    ['a bidi override', 'https://example.com/\u202egnp.exe', 'ControlCharacter'],
    ['a space inside', 'azureml://datastores/ds/paths/my data', 'Whitespace'],
    ['a backslash', 'azureml://datastores/ds/paths/a\\b', 'Backslash'],
    ['credentials in the URL', 'https://user:secret@example.com/data', 'CredentialsInUrl'],
    ['a SAS token', 'https://acct.blob.core.windows.net/c/data?sv=2022-11-02&sp=r&sig=abc%3D', 'SecretInQuery'],
    ['a bare sig parameter', 'https://example.com/a?SIG=abc', 'SecretInQuery'],
    ['an access token', 'https://example.com/a?access_token=abc', 'SecretInQuery'],
    ['a fragment', 'https://example.com/a#part', 'MalformedHttpsUrl'],
    ['https without a host', 'https:///path', 'MalformedHttpsUrl'],
    ['a datastore form without paths', 'azureml://datastores/ds/a/b', 'MalformedDatastoreUri'],
    ['a datastore form with an empty path', 'azureml://datastores/ds/paths/', 'MalformedDatastoreUri'],
    ['a datastore name with a dash', 'azureml://datastores/my-ds/paths/a', 'MalformedDatastoreUri'],
    ['a doubled slash in the path', 'azureml://datastores/ds/paths/a//b', 'MalformedDatastoreUri'],
    ['a long form with a bad subscription', 'azureml://subscriptions/not-a-guid/resourceGroups/rg/workspaces/ws1/datastores/ds/paths/a', 'MalformedDatastoreUri'],
    ['a long form missing workspaces', `azureml://subscriptions/${SUB}/resourceGroups/rg/datastores/ds/paths/a`, 'MalformedDatastoreUri'],
    ['a query on an azureml URI', 'azureml://datastores/ds/paths/a?x=1', 'MalformedDatastoreUri'],
    ['an asset id without a version', 'azureml://locations/eastus/workspaces/ws1/data/mnist', 'MalformedDataAssetUri'],
    ['an asset id with a bad name', 'azureml://locations/eastus/workspaces/ws1/data/-bad/versions/1', 'MalformedDataAssetUri'],
    ['an asset id with extra segments', 'azureml://locations/eastus/workspaces/ws1/data/mnist/versions/1/x', 'MalformedDataAssetUri'],
    ['a short asset reference', 'azureml:mnist:1', 'MalformedDataAssetUri'],
    ['an ARM id of a model, not data', `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/models/m/versions/1`, 'MalformedDataAssetUri'],
    ['an ARM id under another provider', `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/workspaces/ws1/data/m/versions/1`, 'MalformedDataAssetUri'],
    ['an unknown azureml form', 'azureml://registries/azureml/data/mnist/versions/1', 'UnsupportedScheme'],
    ['a huge reference', `https://example.com/${'a'.repeat(5000)}`, 'TooLong'],
  ];

  it.each(cases)('refuses %s', (_what, uri, code) => {
    const error = refusal(uri);
    expect(error.code).toBe(code);
    expect(error.message).toContain(error.reason);
    expect(error.message).toContain('Accepted forms:');
    expect(error.message).toContain('azureml://datastores/<datastore>/paths/<path>');
  });

  it('tells the user to use https when given http', () => {
    expect(refusal('http://example.com/x').reason).toMatch(/use https:\/\//);
  });

  it('never echoes a secret it refuses', () => {
    for (const uri of [
      'https://acct.blob.core.windows.net/c/d?sv=1&sig=TOPSECRETSIG',
      'https://admin:TOPSECRETSIG@example.com/d',
      'http://example.com/d?sig=TOPSECRETSIG',
    ]) {
      expect(refusal(uri).message).not.toContain('TOPSECRETSIG');
    }
  });
});

describe('formatDataReference and describeDataReference', () => {
  const canonical = [
    'https://example.com/data/',
    'https://example.com/data/file.csv',
    'azureml://datastores/workspaceblobstore/paths/mnist/',
    `azureml://subscriptions/${SUB}/resourceGroups/rg/workspaces/ws1/datastores/ds/paths/a/b.csv`,
    'azureml://locations/eastus/workspaces/ws1/data/mnist/versions/1',
    `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/data/mnist/versions/1`,
  ];

  it.each(canonical)('gives back canonical text unchanged: %s', (uri) => {
    expect(formatDataReference(parseDataReference(uri))).toBe(uri);
  });

  it('writes segment names in their canonical case', () => {
    expect(formatDataReference(parseDataReference('AZUREML://DATASTORES/ds/PATHS/a'))).toBe('azureml://datastores/ds/paths/a');
    expect(
      formatDataReference(
        parseDataReference(`/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.machinelearningservices/workspaces/ws1/data/d/versions/1/`),
      ),
    ).toBe(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/data/d/versions/1`);
  });

  it('describes each kind in a few words', () => {
    expect(describeDataReference(parseDataReference('https://example.com/a/b.csv?raw=1'))).toBe('public URL example.com/a/b.csv');
    expect(describeDataReference(parseDataReference('azureml://datastores/ds/paths/a/'))).toBe('datastore ds, path a/');
    expect(describeDataReference(parseDataReference('azureml://locations/eastus/workspaces/ws1/data/mnist/versions/3'))).toBe(
      'data asset mnist:3 in workspace ws1',
    );
  });

  it('parses what it formats, for generated datastore and asset references', () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,11}$/).filter((s) => s !== '.' && s !== '..');
    const datastoreRef = fc.record({
      kind: fc.constant('datastore' as const),
      datastore: fc.stringMatching(/^[a-zA-Z0-9_]{1,20}$/),
      path: fc.tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean()).map(([s, slash]) => s.join('/') + (slash ? '/' : '')),
      form: fc.constant('short' as const),
    });
    const assetRef = fc.record({
      kind: fc.constant('data-asset' as const),
      form: fc.constant('asset-id' as const),
      location: fc.stringMatching(/^[a-z0-9]{1,12}$/),
      workspace: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,20}$/),
      name: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,20}$/),
      version: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,10}$/),
    });
    fc.assert(
      fc.property(fc.oneof(datastoreRef, assetRef), (ref) => {
        expect(parseDataReference(formatDataReference(ref))).toEqual(ref);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseDataReference under random input', () => {
  it('either returns a reference that round-trips or throws a DataReferenceError, never anything else', () => {
    const prefixes = fc.constantFrom('', 'https://', 'http://', 'azureml://datastores/', 'azureml://locations/', '/subscriptions/', 'file://', 'azureml:');
    fc.assert(
      fc.property(prefixes, fc.string({ unit: 'binary', maxLength: 200 }), (prefix, tail) => {
        const input = prefix + tail;
        let ref: DataReference;
        try {
          ref = parseDataReference(input);
        } catch (error) {
          expect(error).toBeInstanceOf(DataReferenceError);
          return;
        }
        const text = formatDataReference(ref);
        expect(parseDataReference(text)).toEqual(ref);
        expect(text).not.toMatch(/\s/);
        expect(describeDataReference(ref).length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });
});
