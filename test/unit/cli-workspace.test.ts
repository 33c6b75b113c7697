// Which workspace profile a CLI command acts on, and how the CLI says so: the choice itself, the line on
// stderr, the JSON document's `workspace`, the help, and the refusals a run makes before it reaches Azure.
import { loadWorkspaceProfiles, type WorkspaceProfileConfig } from '../../src/config';
import { runCli } from '../../src/cli';
import { renderOutcome } from '../../src/cli/cli-outcome';
import { cliHelpText, CliUsageError } from '../../src/cli/cli-usage';
import { askedWorkspace, chooseCliWorkspace, workspaceNotice } from '../../src/cli/cli-workspace';

const profileVariables = (name: string, workspace: string, cloud: string): Record<string, string> => ({
  [`WORKSPACE_${name}_AZURE_CLOUD`]: cloud,
  [`WORKSPACE_${name}_AZURE_SUBSCRIPTION_ID`]: '00000000-0000-0000-0000-000000000001',
  [`WORKSPACE_${name}_AZURE_RESOURCE_GROUP`]: 'ml-rg',
  [`WORKSPACE_${name}_AZUREML_WORKSPACE`]: workspace,
  [`WORKSPACE_${name}_AZURE_LOCATION`]: 'eastus',
});
const twoProfiles = { BATCH_SCORE_WORKSPACES: 'dev,prod', ...profileVariables('DEV', 'ml-dev', 'AzureCloud'), ...profileVariables('PROD', 'ml-prod', 'AzureChinaCloud') };
const [dev, prod] = loadWorkspaceProfiles(twoProfiles) as [WorkspaceProfileConfig, WorkspaceProfileConfig];

/** Runs the CLI in-process; every case here ends before a client would be built. */
async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readFile: () => Promise.reject(Object.assign(new Error('no files in this test'), { code: 'ENOENT' })),
  });
  return { code, stdout, stderr };
}

describe('choosing the workspace', () => {
  it('takes the one named, and the first when none is', () => {
    expect(chooseCliWorkspace([dev, prod], 'prod')).toBe(prod);
    expect(chooseCliWorkspace([dev, prod], undefined)).toBe(dev);
    expect(chooseCliWorkspace([dev], undefined)).toBe(dev);
  });

  it('refuses a name that is not configured, listing the ones that are', () => {
    let refusal: unknown;
    try {
      chooseCliWorkspace([dev, prod], 'staging');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(CliUsageError);
    expect(refusal).toMatchObject({ message: "there is no workspace 'staging'; the configured workspaces are: dev, prod.", suggestion: 'Use one of: dev, prod.' });
    expect(() => chooseCliWorkspace([{ ...dev, name: 'default' }], 'prod')).toThrow(expect.objectContaining({ suggestion: expect.stringContaining('BATCH_SCORE_WORKSPACES') }));
  });

  it('takes --workspace once in all, whether the CLI or the grammar read it', () => {
    expect(askedWorkspace('prod', undefined)).toBe('prod');
    expect(askedWorkspace(undefined, 'prod')).toBe('prod');
    expect(askedWorkspace(undefined, undefined)).toBeUndefined();
    expect(() => askedWorkspace('prod', 'prod')).toThrow('--workspace is given more than once.');
  });
});

describe('saying which workspace', () => {
  it('names the profile, the Azure ML workspace and the cloud on one line', () => {
    expect(workspaceNotice(prod)).toBe('workspace prod: ml-prod on Azure China');
    expect(workspaceNotice(dev)).toBe('workspace dev: ml-dev on Azure');
  });

  it('puts the workspace in the JSON document beside the command, and nowhere without one', () => {
    const doc = JSON.parse(renderOutcome({ command: 'endpoints', exitCode: 0, result: { endpoints: [] }, workspace: 'prod' }, true).stdout);
    expect(doc).toEqual({ ok: true, command: 'endpoints', workspace: 'prod', result: { endpoints: [] } });
    expect(Object.keys(doc)).toEqual(['ok', 'command', 'workspace', 'result']);
    expect(JSON.parse(renderOutcome({ command: 'endpoints', exitCode: 0, result: { endpoints: [] } }, true).stdout)).not.toHaveProperty('workspace');
    expect(renderOutcome({ command: 'endpoints', exitCode: 0, text: 'none', workspace: 'prod' }, false)).toEqual({ stdout: 'none\n', stderr: '' });
  });

  it('lists --workspace in the help', () => {
    const help = cliHelpText();
    expect(help).toMatch(/^usage: batch-score .*\[--workspace <name>\] <command>/m);
    expect(help).toMatch(/^ {2}--workspace <name> +act on this one of the configured workspaces/m);
  });
});

describe('refusals before reaching Azure', () => {
  it('exits 2 for a workspace that is not configured, with the configured ones, also as JSON', async () => {
    const text = await run(['endpoints', '--workspace', 'staging'], twoProfiles);
    expect(text).toMatchObject({ code: 2, stdout: '' });
    expect(text.stderr).toContain("error: there is no workspace 'staging'; the configured workspaces are: dev, prod.");
    expect(text.stderr).toContain('batch-score --workspace <name> <command>');
    const json = await run(['--json', 'endpoints', '--workspace', 'staging'], twoProfiles);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, command: 'endpoints', error: { code: 'InvalidUsage' } });
    expect(JSON.parse(json.stdout)).not.toHaveProperty('workspace');
  });

  it('exits 2 for --workspace without profiles, saying how to configure several', async () => {
    const single = Object.fromEntries(Object.entries(profileVariables('X', 'ml-one', 'AzureCloud')).map(([k, v]) => [k.replace('WORKSPACE_X_', ''), v]));
    const named = await run(['endpoints', '--workspace', 'prod'], single);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain("there is no workspace 'prod'; the configured workspaces are: default.");
    expect(named.stderr).toContain('BATCH_SCORE_WORKSPACES');
  });

  it('reports every broken profile at once by its own variable names', async () => {
    const result = await run(['endpoints', '--workspace', 'dev'], { ...twoProfiles, WORKSPACE_PROD_AZURE_CLOUD: 'Mars', WORKSPACE_DEV_AZURE_LOCATION: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("WORKSPACE_PROD_AZURE_CLOUD: 'Mars' is not a known Azure cloud");
    expect(result.stderr).toContain('WORKSPACE_DEV_AZURE_LOCATION: ');
  });

  it('exits 2 for --workspace with the sandbox, which is a workspace of its own', async () => {
    const result = await run(['--workspace', 'prod', 'endpoints'], { ...twoProfiles, BATCH_SCORE_SANDBOX_FILE: 'sandbox.json' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give one or the other');
  });

  it('exits 2 for --workspace given to the CLI and again after --', async () => {
    const result = await run(['--workspace', 'dev', '--', 'status', 'job-1', '--workspace', 'prod'], twoProfiles);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--workspace is given more than once.');
  });
});
