// Reading what a deploy names that already exists (workspace versions and `latest`, registry ids and curated
// environments) and the rules for code, scoring script and environment around MLflow models.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeExistingAsset, parseAssetReference, registryAssetId } from '../../src/domain/asset-reference';
import { deploySpecSchema, type DeploySpecInput } from '../../src/domain/deploy-spec';

const base = { endpointName: 'heart-batch', deploymentName: 'heart-mlflow', compute: { kind: 'existing', name: 'cpu-cluster' } } as const;
const issues = (input: Record<string, unknown>): string[] => {
  const parsed = deploySpecSchema.safeParse({ ...base, ...input });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('asset references', () => {
  it.each([
    ['mnist:3', { kind: 'registered', name: 'mnist', version: '3' }],
    ['azureml:mnist:3', { kind: 'registered', name: 'mnist', version: '3' }],
    ['heart-classifier@latest', { kind: 'registered', name: 'heart-classifier', label: 'latest' }],
    ['azureml:heart-classifier@latest', { kind: 'registered', name: 'heart-classifier', label: 'latest' }],
    ['azureml://registries/team-reg/models/heart/versions/2', { kind: 'registry', registry: 'team-reg', name: 'heart', version: '2' }],
    ['azureml://registries/team-reg/models/heart/labels/latest', { kind: 'registry', registry: 'team-reg', name: 'heart', label: 'latest' }],
  ])('reads the model %s', (text, asset) => {
    expect(parseAssetReference('models', text)).toEqual({ ok: true, asset });
  });

  it('reads a curated environment from the azureml registry', () => {
    expect(parseAssetReference('environments', 'azureml://registries/azureml/environments/sklearn-1.5/labels/latest')).toEqual({
      ok: true,
      asset: { kind: 'registry', registry: 'azureml', name: 'sklearn-1.5', label: 'latest' },
    });
  });

  it('says how to write a malformed or mismatched registry id', () => {
    expect(parseAssetReference('models', 'azureml://registries/team-reg/models/heart')).toMatchObject({ ok: false, message: expect.stringMatching(/versions\/<version> or …\/labels\/latest/) });
    expect(parseAssetReference('models', 'azureml://registries/azureml/environments/sklearn-1.5/versions/1')).toMatchObject({ ok: false, message: expect.stringMatching(/names environments, not models/) });
  });

  it('leaves a folder to upload alone', () => {
    expect(parseAssetReference('models', 'models/mnist')).toBeUndefined();
  });

  it('refuses a label other than latest, and a version-less registered asset', () => {
    expect(issues({ model: 'mnist@champion' }).join()).toMatch(/only label a deploy accepts is "latest"/);
    expect(issues({ model: { kind: 'registered', name: 'mnist' } }).join()).toMatch(/give a version, or the label "latest"/);
    expect(issues({ model: 'azureml://registries/x/models/m/versions/1' }).join()).toMatch(/registry name must be 3-33/);
  });

  it('writes registry ids and shows a resolved latest with its version', () => {
    expect(registryAssetId('models', 'team-reg', 'heart', '2')).toBe('azureml://registries/team-reg/models/heart/versions/2');
    expect(describeExistingAsset('models', { kind: 'registered', name: 'heart', label: 'latest', version: '7' })).toBe('heart:7 (latest)');
    expect(describeExistingAsset('environments', { kind: 'registry', registry: 'azureml', name: 'sklearn-1.5', label: 'latest' })).toBe(
      'azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
    );
  });
});

describe('code, scoring script and environment around MLflow models', () => {
  const code = { kind: 'upload', localPath: 'code/heart', name: 'heart-code' };
  const environment = { kind: 'image', name: 'heart-env', image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' };

  it('accepts an MLflow upload, a registry model or a workspace latest with neither code nor environment', () => {
    expect(issues({ model: { kind: 'upload', localPath: 'models/heart', name: 'heart', type: 'mlflow_model' } })).toEqual([]);
    expect(issues({ model: 'azureml://registries/team-reg/models/heart/labels/latest' })).toEqual([]);
    expect(issues({ model: 'heart@latest' })).toEqual([]);
  });

  it('accepts an MLflow model with a scoring script and environment (fine, not needed)', () => {
    expect(issues({ model: { kind: 'upload', localPath: 'models/heart', name: 'heart', type: 'mlflow_model' }, code, scoringScript: 'batch_driver.py', environment })).toEqual([]);
  });

  it('refuses a custom model upload without code, saying how to fix it', () => {
    expect(issues({ model: { kind: 'upload', localPath: 'models/mnist', name: 'mnist' } })).toEqual([
      expect.stringMatching(/^code: a custom model needs scoring code, a scoring script and an environment: give all three, or upload an MLflow model/),
    ]);
  });

  it('keeps code, script and environment together', () => {
    const model = 'heart:1';
    expect(issues({ model, code, environment })).toEqual([expect.stringMatching(/^scoringScript: give the scoring script/)]);
    expect(issues({ model, scoringScript: 'x.py', environment })).toEqual([expect.stringMatching(/^code: a scoring script needs its code/)]);
    expect(issues({ model, code, scoringScript: 'x.py' })).toEqual([expect.stringMatching(/^environment: a scoring script runs in an environment/)]);
    expect(issues({ model, environment })).toEqual([expect.stringMatching(/^code: an environment is only used to run a scoring script/)]);
  });

  it('parses the example MLflow spec shipped with the repository', async () => {
    const text = await readFile(path.join(__dirname, '..', '..', 'examples', 'deploy-spec-mlflow.json'), 'utf8');
    const parsed = deploySpecSchema.parse(JSON.parse(text) as DeploySpecInput);
    expect(parsed.model.kind).toBe('registry');
    expect(parsed.code).toBeUndefined();
  });
});
