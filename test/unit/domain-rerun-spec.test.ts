// A Re-run keeps endpoint, deployment, input and settings and never reuses the asked output file.
import { rerunSpec } from '../../src/domain/rerun-spec';
import { runSpecSchema } from '../../src/domain/run-spec';

const base = runSpecSchema.parse({
  endpointName: 'mnist-batch',
  deploymentName: 'blue',
  input: { kind: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/in/' },
  settings: { miniBatchSize: 2 },
});

describe('a re-run of a scoring request', () => {
  it('keeps a request without an asked output as it is: the new job writes to its own default folder', () => {
    expect(rerunSpec(base, 'abc123')).toEqual(base);
  });

  it('gives an asked output file a new name per re-run, keeping its folder and extension', () => {
    const spec = runSpecSchema.parse({ ...base, output: { uri: 'azureml://datastores/workspaceblobstore/paths/out/predictions.csv' } });
    const again = rerunSpec(spec, 'abc123');
    expect(again.output?.uri).toBe('azureml://datastores/workspaceblobstore/paths/out/predictions-rerun-abc123.csv');
    expect({ ...again, output: undefined }).toEqual({ ...spec, output: undefined });
    expect(rerunSpec(spec, 'def456').output?.uri).not.toBe(again.output?.uri);
  });

  it('does not pile up suffixes when a re-run is run again, and keeps a dot-file name whole', () => {
    const spec = runSpecSchema.parse({ ...base, output: { uri: 'azureml://datastores/workspaceblobstore/paths/out/predictions-rerun-abc123.csv' } });
    expect(rerunSpec(spec, 'xyz').output?.uri).toBe('azureml://datastores/workspaceblobstore/paths/out/predictions-rerun-xyz.csv');
    const dot = runSpecSchema.parse({ ...base, output: { uri: 'azureml://datastores/workspaceblobstore/paths/.scores' } });
    expect(rerunSpec(dot, 'xyz').output?.uri).toBe('azureml://datastores/workspaceblobstore/paths/.scores-rerun-xyz');
  });

  it('refuses a tag that could bend the path', () => {
    expect(() => rerunSpec(base, '../x')).toThrow();
    expect(() => rerunSpec(base, '')).toThrow();
  });
});
