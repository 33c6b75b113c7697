// The CLI's argument handling: its own global flags are taken out wherever they stand, and the rest
// reaches the slash command's grammar so that what the shell already split parses as the user meant.
import { parseCommand } from '../../src/domain/command-grammar';
import { CliUsageError, cliUsageOf } from '../../src/cli/cli-usage';
import { commandTextOf } from '../../src/cli/command-text';
import { splitGlobalFlags } from '../../src/cli/global-flags';

const parse = (argv: string[]) => parseCommand(commandTextOf(splitGlobalFlags(argv).words));

describe('global flags', () => {
  it('takes --json, --wait and --quiet before or after the command', () => {
    const { flags, words } = splitGlobalFlags(['--json', 'run', 'ep', 'azureml://datastores/ws/paths/in/', '--wait', '-q']);
    expect(flags).toMatchObject({ json: true, wait: true, quiet: true, help: false });
    expect(words).toEqual(['run', 'ep', 'azureml://datastores/ws/paths/in/']);
  });

  it('reads --sandbox <file>, --sandbox=<file>, and a bare --sandbox before a command word', () => {
    expect(splitGlobalFlags(['--sandbox', 'sb.json', 'endpoints'])).toEqual({ flags: expect.objectContaining({ sandbox: { file: 'sb.json' } }), words: ['endpoints'] });
    expect(splitGlobalFlags(['--sandbox=endpoints', 'show', 'x']).flags.sandbox).toEqual({ file: 'endpoints' });
    expect(splitGlobalFlags(['--sandbox', 'endpoints'])).toEqual({ flags: expect.objectContaining({ sandbox: {} }), words: ['endpoints'] });
    expect(splitGlobalFlags(['show', 'ep', '--sandbox', '--json']).flags).toMatchObject({ sandbox: {}, json: true });
  });

  it('reads --poll-interval as a duration and refuses one that is not', () => {
    expect(splitGlobalFlags(['--poll-interval', '250ms', 'status', 'j']).flags.pollIntervalMs).toBe(250);
    expect(splitGlobalFlags(['--poll-interval=2s', 'status', 'j']).flags.pollIntervalMs).toBe(2000);
    expect(() => splitGlobalFlags(['--poll-interval', 'soon'])).toThrow(CliUsageError);
    expect(() => splitGlobalFlags(['--json=yes'])).toThrow('--json is a switch and takes no value.');
  });

  it('takes --workspace <name> and --workspace=<name> before or after the command, lower-cased', () => {
    expect(splitGlobalFlags(['--workspace', 'prod', 'endpoints'])).toEqual({ flags: expect.objectContaining({ workspace: 'prod' }), words: ['endpoints'] });
    expect(splitGlobalFlags(['show', 'ep', '--workspace=Prod', '--json'])).toEqual({ flags: expect.objectContaining({ workspace: 'prod', json: true }), words: ['show', 'ep'] });
    expect(splitGlobalFlags(['download', 'job-1', '--workspace', 'eu-west', '--to', 'out'])).toEqual({ flags: expect.objectContaining({ workspace: 'eu-west' }), words: ['download', 'job-1', '--to', 'out'] });
    expect(splitGlobalFlags(['endpoints']).flags.workspace).toBeUndefined();
  });

  it('refuses --workspace without a name, twice, or with a name no profile could have', () => {
    expect(() => splitGlobalFlags(['endpoints', '--workspace'])).toThrow('--workspace needs the name of a workspace, as in --workspace prod.');
    expect(() => splitGlobalFlags(['--workspace', '--json', 'endpoints'])).toThrow('--workspace needs the name of a workspace');
    expect(() => splitGlobalFlags(['--workspace=', 'endpoints'])).toThrow('--workspace needs the name of a workspace');
    expect(() => splitGlobalFlags(['--workspace', 'dev', 'endpoints', '--workspace=prod'])).toThrow('--workspace is given more than once.');
    expect(() => splitGlobalFlags(['--workspace', '9lives', 'endpoints'])).toThrow(`--workspace: '9lives' is not a workspace name`);
    expect(() => splitGlobalFlags(['--workspace', 'dev', 'endpoints'])).not.toThrow();
  });

  it('leaves no --workspace for the grammar, which reads it only after --', () => {
    expect(parse(['--workspace', 'prod', 'status', 'job-1'])).toEqual({ ok: true, command: { verb: 'status', jobName: 'job-1' } });
    expect(parseCommand(commandTextOf(splitGlobalFlags(['--', 'status', 'job-1', '--workspace', 'prod']).words))).toEqual({
      ok: true,
      command: { verb: 'status', jobName: 'job-1' },
      workspace: 'prod',
    });
  });

  it('passes everything after -- to the grammar untouched', () => {
    expect(splitGlobalFlags(['--', 'help', '--json'])).toEqual({ flags: expect.objectContaining({ json: false }), words: ['help', '--json'] });
  });
});

describe('shell arguments into the grammar', () => {
  it('parses a run with its flags as the slash command would', () => {
    const parsed = parse(['run', 'mnist-batch', 'azureml://datastores/workspaceblobstore/paths/mnist/', '--output=azureml://datastores/workspaceblobstore/paths/out/p.csv', '--deployment', 'torch', '--wait']);
    expect(parsed).toEqual({
      ok: true,
      command: {
        verb: 'run',
        spec: {
          endpointName: 'mnist-batch',
          deploymentName: 'torch',
          input: { kind: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/mnist/' },
          output: { uri: 'azureml://datastores/workspaceblobstore/paths/out/p.csv' },
        },
      },
    });
  });

  it('keeps a spec path with spaces in one piece, also as --spec=<path>', () => {
    expect(parse(['deploy', '--spec', 'my specs/deploy "v2".json'])).toEqual({ ok: true, command: { verb: 'deploy', specFile: 'my specs/deploy "v2".json' } });
    expect(parse(['deploy', '--spec=my specs/d.json'])).toEqual({ ok: true, command: { verb: 'deploy', specFile: 'my specs/d.json' } });
  });

  it('does not let text that looks like Slack markup or a smart dash change meaning', () => {
    expect(parse(['deploy', '--spec', '<a&amp;b>.json'])).toEqual({ ok: true, command: { verb: 'deploy', specFile: '<a&amp;b>.json' } });
    expect(parse(['deploy', '--spec', '—x.json'])).toEqual({ ok: true, command: { verb: 'deploy', specFile: '—x.json' } });
  });

  it('reads `data register` as two words and an empty command as help', () => {
    expect(parse(['data', 'register', 'mnist', 'https://example.com/mnist/', '--version', '3'])).toMatchObject({ ok: true, command: { verb: 'data-register', name: 'mnist', version: '3' } });
    expect(parse([])).toEqual({ ok: true, command: { verb: 'help' } });
  });

  it("gives the parser's message and suggestion for a typo, with usage in the CLI's forms", () => {
    const parsed = parse(['stauts', 'job-1']);
    expect(parsed).toMatchObject({ ok: false, error: { message: '`stauts` is not a command.', suggestion: 'Did you mean `status`?' } });
    const usage = cliUsageOf(parsed.ok ? '' : parsed.error.usage);
    expect(usage).toContain('deploy --spec <file.json>');
    expect(usage).toContain('run <endpoint> <input-uri> [--file]');
  });
});
