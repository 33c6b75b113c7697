// Errors → what the CLI prints and its exit code: 2 for what the user fixes in the command line, spec
// file or environment; 1 for a failed operation, with Azure's code, message and request ids.
import { ArtifactPathError } from '../../src/azureml/artifacts-root';
import { DeployStepError } from '../../src/azureml/deploy-plan';
import { AzureMlError } from '../../src/azureml/errors';
import { renderOutcome } from '../../src/cli/cli-outcome';
import { CliUsageError } from '../../src/cli/cli-usage';
import { DeploySpecFileError, parseDeploySpecFile } from '../../src/cli/deploy-spec-file';
import { errorText, reportError } from '../../src/cli/error-report';
import { exitCodeForJobStatus } from '../../src/cli/exit-codes';
import { ConfigError, loadAzureConfig } from '../../src/config';

const azureError = new AzureMlError({
  code: 'UserError',
  message: 'Endpoint mnist is not found',
  statusCode: 404,
  requestId: 'req-1',
  correlationId: 'corr-1',
});

describe('exit codes', () => {
  it('is 1 for an Azure error and carries its code, message and request ids', () => {
    expect(reportError(azureError)).toEqual({
      exitCode: 1,
      error: { code: 'UserError', message: 'Endpoint mnist is not found', requestId: 'req-1', correlationId: 'corr-1' },
    });
  });

  it('is 1 for a failed deploy step, naming the step and the cause', () => {
    expect(reportError(new DeployStepError('deployment', azureError))).toMatchObject({ exitCode: 1, error: { step: 'deployment', code: 'UserError', requestId: 'req-1' } });
  });

  it('is 2 for usage, configuration, spec file and artifact path problems', () => {
    let config: unknown;
    try {
      loadAzureConfig({});
    } catch (err) {
      config = err;
    }
    expect(config).toBeInstanceOf(ConfigError);
    for (const err of [
      new CliUsageError('bad', 'status <job>'),
      config,
      new DeploySpecFileError('bad spec'),
      new DeployStepError('model', new ArtifactPathError('EscapesRoot', '"../x" leaves the artifacts folder', '../x')),
    ]) {
      expect(reportError(err).exitCode).toBe(2);
    }
  });

  it('lists every configuration problem', () => {
    let error;
    try {
      loadAzureConfig({ AZURE_SUBSCRIPTION_ID: 'nope' });
    } catch (err) {
      error = reportError(err).error;
    }
    expect(error?.problems).toHaveLength(4);
    expect(errorText(error!)).toMatch(/AZURE_SUBSCRIPTION_ID: is not a subscription id/);
    expect(errorText(error!)).toContain('--sandbox <file>');
  });

  it('treats a job that ended Failed or Canceled as a failed operation', () => {
    expect(['Completed', 'Running', 'Failed', 'Canceled'].map(exitCodeForJobStatus)).toEqual([0, 0, 1, 1]);
  });
});

describe('printing', () => {
  it("shows a usage error with the message, the usage and the parser's suggestion", () => {
    const { error } = reportError(new CliUsageError('`stauts` is not a command.', 'status <job>\njobs [<endpoint>]', 'Did you mean `status`?'));
    expect(errorText(error)).toBe(
      [
        "error: 'stauts' is not a command.",
        'usage: batch-score status <job>',
        '       batch-score jobs [<endpoint>]',
        "Did you mean 'status'?",
        "Run 'batch-score help' for every command and flag.",
      ].join('\n'),
    );
  });

  it('shows an Azure error with its code and the ids support asks for', () => {
    expect(errorText(reportError(azureError).error)).toBe('error: UserError: Endpoint mnist is not found\n  (request id req-1, correlation id corr-1)');
  });

  it('prints one JSON document on stdout with --json, errors included', () => {
    const { exitCode, error } = reportError(azureError);
    const rendered = renderOutcome({ command: 'show', exitCode, error }, true);
    expect(JSON.parse(rendered.stdout)).toEqual({ ok: false, command: 'show', error: expect.objectContaining({ code: 'UserError', requestId: 'req-1' }) });
    expect(rendered.stderr).toContain('error: UserError');
    expect(renderOutcome({ command: 'endpoints', exitCode: 0, result: { endpoints: [] }, text: 'none' }, false)).toEqual({ stdout: 'none\n', stderr: '' });
  });
});

describe('deploy spec files', () => {
  it('refuses text that is not JSON, and names every invalid field', () => {
    expect(() => parseDeploySpecFile('{', 'd.json')).toThrow(/^d\.json is not valid JSON/);
    expect(() => parseDeploySpecFile(JSON.stringify({ endpointName: 'digits', deploymentName: 'digits-v1', scoringScript: 's.py' }), 'd.json')).toThrow(
      /d\.json is not a valid deploy spec: model: .*; compute: /,
    );
  });

  it('applies the recipe defaults to a minimal spec', () => {
    const spec = parseDeploySpecFile(
      JSON.stringify({
        endpointName: 'digits',
        deploymentName: 'digits-v1',
        model: { kind: 'registered', name: 'm', version: '1' },
        code: { kind: 'upload', localPath: 'code', name: 'c' },
        scoringScript: 'score.py',
        environment: { kind: 'registered', name: 'e', version: '1' },
        compute: { kind: 'existing', name: 'cpu' },
      }),
      'd.json',
    );
    expect(spec).toMatchObject({ instanceCount: 1, miniBatchSize: 5, maxConcurrencyPerInstance: 4, errorThreshold: 10, loggingLevel: 'Info', makeDefault: true });
  });
});
