import fc from 'fast-check';
import {
  commandSchema,
  editDistance,
  formatCommand,
  MAX_COMMAND_LENGTH,
  parseCommand,
  USAGE,
  VERBS,
  verbHelp,
  type Command,
  type ParseResult,
} from '../../src/domain/command-grammar';
import { cliHelpText } from '../../src/cli/cli-usage';
import { buildHelpMessage } from '../../src/slack/blocks/help-message';

const DS = 'azureml://datastores/workspaceblobstore/paths/mnist/';
const OUT = 'azureml://datastores/workspaceblobstore/paths/out/predictions.csv';

function ok(text: string): Command {
  const result = parseCommand(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${result.error.message}`);
  return result.command;
}

function err(text: string): Extract<ParseResult, { ok: false }>['error'] {
  const result = parseCommand(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(result.command)}`);
  return result.error;
}

describe('parseCommand: each verb', () => {
  it('reads help, with and without a topic', () => {
    expect(ok('help')).toEqual({ verb: 'help' });
    expect(ok('help run')).toEqual({ verb: 'help', topic: 'run' });
    expect(ok('help set-default')).toEqual({ verb: 'help', topic: 'set-default' });
    expect(ok('help data register')).toEqual({ verb: 'help', topic: 'data-register' });
  });

  it('treats an empty command as help', () => {
    expect(ok('')).toEqual({ verb: 'help' });
    expect(ok('   ')).toEqual({ verb: 'help' });
  });

  it('reads deploy (the modal) and deploy --spec (the CLI)', () => {
    expect(ok('deploy')).toEqual({ verb: 'deploy' });
    expect(ok('deploy --spec deploy.json')).toEqual({ verb: 'deploy', specFile: 'deploy.json' });
    expect(ok('deploy --spec=specs/mnist.json')).toEqual({ verb: 'deploy', specFile: 'specs/mnist.json' });
  });

  it('reads run with no arguments as the run modal', () => {
    expect(ok('run')).toEqual({ verb: 'run' });
  });

  it('reads run on a folder, the default deployment and no output', () => {
    expect(ok(`run mnist-batch ${DS}`)).toEqual({
      verb: 'run',
      spec: { endpointName: 'mnist-batch', input: { kind: 'UriFolder', uri: DS } },
    });
  });

  it('reads run with --file, --output and --deployment in any order and either flag style', () => {
    const expected = {
      verb: 'run',
      spec: {
        endpointName: 'mnist-batch',
        deploymentName: 'mnist-torch',
        input: { kind: 'UriFile', uri: 'https://example.com/mnist/0.png' },
        output: { uri: OUT },
      },
    };
    expect(ok(`run mnist-batch https://example.com/mnist/0.png --file --output ${OUT} --deployment mnist-torch`)).toEqual(expected);
    expect(ok(`run --deployment=mnist-torch mnist-batch --output=${OUT} https://example.com/mnist/0.png --file`)).toEqual(expected);
  });

  it('reads status, jobs, cancel, endpoints, show, set-default and delete', () => {
    expect(ok('status 3d5f1c2e-0b7a-4d4e-9b1f-2f7c9d1e8a00')).toEqual({ verb: 'status', jobName: '3d5f1c2e-0b7a-4d4e-9b1f-2f7c9d1e8a00' });
    expect(ok('jobs')).toEqual({ verb: 'jobs' });
    expect(ok('jobs mnist-batch')).toEqual({ verb: 'jobs', endpointName: 'mnist-batch' });
    expect(ok('cancel quirky_lamp_x1')).toEqual({ verb: 'cancel', jobName: 'quirky_lamp_x1' });
    expect(ok('endpoints')).toEqual({ verb: 'endpoints' });
    expect(ok('show mnist-batch')).toEqual({ verb: 'show', endpointName: 'mnist-batch' });
    expect(ok('set-default mnist-batch mnist-torch')).toEqual({ verb: 'set-default', endpointName: 'mnist-batch', deploymentName: 'mnist-torch' });
    expect(ok('delete mnist-batch')).toEqual({ verb: 'delete', endpointName: 'mnist-batch' });
  });

  it('reads data register for a folder, a file and a version', () => {
    expect(ok('data register mnist-sample https://example.com/mnist')).toEqual({
      verb: 'data-register',
      name: 'mnist-sample',
      kind: 'UriFolder',
      uri: 'https://example.com/mnist',
    });
    expect(ok('data register one https://example.com/mnist/0.png --file --version 2')).toEqual({
      verb: 'data-register',
      name: 'one',
      kind: 'UriFile',
      uri: 'https://example.com/mnist/0.png',
      version: '2',
    });
  });

  it('accepts verbs in any case', () => {
    expect(ok('STATUS job1')).toEqual({ verb: 'status', jobName: 'job1' });
    expect(ok('Data Register d1 https://example.com/x')).toMatchObject({ verb: 'data-register' });
  });
});

describe('parseCommand: quoting and Slack formatting', () => {
  it('keeps quoted text together and drops the quotes', () => {
    expect(ok('deploy --spec "my specs/mnist deploy.json"')).toEqual({ verb: 'deploy', specFile: 'my specs/mnist deploy.json' });
    expect(ok("deploy --spec 'a b.json'")).toEqual({ verb: 'deploy', specFile: 'a b.json' });
    expect(ok('deploy --spec "say \\"hi\\".json"')).toEqual({ verb: 'deploy', specFile: 'say "hi".json' });
  });

  it('reads curly quotes as a phone keyboard types them', () => {
    expect(ok('deploy --spec “my spec.json”')).toEqual({ verb: 'deploy', specFile: 'my spec.json' });
  });

  it('refuses an unclosed quote', () => {
    expect(err('deploy --spec "my spec.json').message).toMatch(/quote.*not closed/);
  });

  it('unwraps links Slack made out of URLs, with or without a label', () => {
    expect(ok('run ep-1 <https://example.com/mnist|example.com/mnist>')).toMatchObject({
      spec: { input: { uri: 'https://example.com/mnist' } },
    });
    expect(ok('run ep-1 <https://example.com/mnist>')).toMatchObject({ spec: { input: { uri: 'https://example.com/mnist' } } });
  });

  it('decodes the &amp; &lt; &gt; Slack sends', () => {
    expect(ok('run ep-1 <https://example.com/a?x=1&amp;y=2>')).toMatchObject({
      spec: { input: { uri: 'https://example.com/a?x=1&y=2' } },
    });
    expect(err('&lt;!channel&gt; now').message).toBe('`<!channel>` is not a command.');
  });

  it('turns a dash that a Mac auto-corrected back into --', () => {
    expect(ok(`run ep-1 ${DS} —deployment d-1`)).toMatchObject({ spec: { deploymentName: 'd-1' } });
    expect(ok('run ep-1 https://example.com/a.png –file')).toMatchObject({ spec: { input: { kind: 'UriFile' } } });
  });

  it('ignores zero-width characters that clients insert', () => {
    expect(ok('sta\u200btus job1')).toEqual({ verb: 'status', jobName: 'job1' });
  });

  it('treats non-breaking spaces and tabs as spaces', () => {
    expect(ok('show\u00a0mnist-batch\t')).toEqual({ verb: 'show', endpointName: 'mnist-batch' });
  });
});

describe('parseCommand: errors', () => {
  it('suggests the verb a typo was meant to be', () => {
    expect(err('stauts job1')).toMatchObject({ message: '`stauts` is not a command.', suggestion: 'Did you mean `status`?' });
    expect(err('endpoint')).toMatchObject({ suggestion: 'Did you mean `endpoints`?' });
    expect(err('delte ep-1')).toMatchObject({ suggestion: 'Did you mean `delete`?' });
    expect(err('setdefault a b')).toMatchObject({ suggestion: 'Did you mean `set-default`?' });
    expect(err('data regster x y')).toMatchObject({ suggestion: 'Did you mean `data register`?' });
  });

  it('suggests the verb for a familiar synonym', () => {
    expect(err('invoke ep-1 x').suggestion).toBe('Did you mean `run`?');
    expect(err('list').suggestion).toBe('Did you mean `endpoints`?');
  });

  it('offers no suggestion for text far from any verb, and lists every usage', () => {
    const e = err('xyzzy');
    expect(e.suggestion).toBeUndefined();
    for (const verb of VERBS) expect(e.usage).toContain(USAGE[verb]);
  });

  it('says which argument is missing, with the verb usage', () => {
    expect(err('status')).toEqual({ message: '`status` needs <job>.', usage: 'status <job>' });
    expect(err('run ep-1').message).toBe('`run` needs <input-uri>.');
    expect(err('run --file').message).toBe('`run` needs <endpoint> and <input-uri>.');
    expect(err('set-default ep-1').message).toBe('`set-default` needs <deployment>.');
    expect(err('data').message).toMatch(/data register/);
  });

  it('refuses extra arguments', () => {
    expect(err('status a b')).toMatchObject({ message: '`status` takes 1 argument, but got an extra `b`.' });
    expect(err('endpoints now').message).toBe('`endpoints` takes no arguments, but got an extra `now`.');
  });

  it('refuses unknown flags and suggests a close one', () => {
    expect(err(`run ep-1 ${DS} --fiel`)).toMatchObject({ message: '`--fiel` is not an option of `run`.', suggestion: 'Did you mean `--file`?' });
    expect(err(`run ep-1 ${DS} --outptu ${OUT}`).suggestion).toBe('Did you mean `--output`?');
    expect(err('show ep-1 --force').message).toBe('`show` takes no options, but got `--force`.');
  });

  it('refuses a flag without its value, a switch with one, and a repeated flag', () => {
    expect(err(`run ep-1 ${DS} --output`).message).toBe('`--output` needs a value, as in `--output <datastore-file-uri>`.');
    expect(err(`run ep-1 ${DS} --output --file`).message).toMatch(/needs a value/);
    expect(err(`run ep-1 ${DS} --file=yes`).message).toBe('`--file` is a switch and takes no value.');
    expect(err(`run ep-1 ${DS} --deployment a-1 --deployment b-2`).message).toBe('`--deployment` is given more than once.');
  });

  it('validates names with the naming rules', () => {
    expect(err('show ep').message).toMatch(/^<endpoint>: an endpoint name must be 3-32 characters/);
    expect(err('set-default ep-1 -bad').message).toMatch(/^<deployment>:/);
    expect(err('cancel "job 1"').message).toMatch(/^<job>: a job name/);
    expect(err('data register -x https://example.com/a').message).toMatch(/^<name>:/);
    expect(err('data register x https://example.com/a --version ..').message).toMatch(/^--version:/);
  });

  it('validates URIs as data references, with the reason', () => {
    expect(err('run ep-1 http://example.com/a').message).toMatch(/^<input-uri>: Plain http:\/\/ is not accepted; use https:\/\//);
    expect(err('run ep-1 s3://bucket/key').message).toMatch(/^<input-uri>: The scheme "s3:" is not supported/);
    expect(err(`run ep-1 ${DS} --output https://example.com/o.csv`).message).toMatch(/^--output: The output must be a file on a datastore/);
    expect(err('data register d azureml://locations/eastus/workspaces/ws1/data/x/versions/1').message).toMatch(/already is a data asset/);
  });

  it('keeps a SAS token out of the error', () => {
    const e = err('run ep-1 <https://acct.blob.core.windows.net/c/d?sv=1&amp;sig=TOPSECRET>');
    expect(JSON.stringify(e)).not.toContain('TOPSECRET');
    expect(e.message).toMatch(/secret in its query string/);
  });

  it('refuses control characters and over-long text', () => {
    expect(err('status job\u0000').message).toMatch(/control characters/);
    expect(err('status \u202ejob').message).toMatch(/control characters/);
    expect(err(`status ${'a'.repeat(MAX_COMMAND_LENGTH)}`).message).toMatch(/longer than/);
  });

  it('shortens what it echoes and keeps backticks out of it', () => {
    const e = err(`${'x`'.repeat(100)}`);
    expect(e.message.length).toBeLessThan(80);
    expect(e.message.match(/`/g)).toHaveLength(2);
  });

  it('treats words that name Object.prototype members as plain unknown words', () => {
    expect(err('__proto__').message).toBe('`__proto__` is not a command.');
    expect(err('constructor').message).toBe('`constructor` is not a command.');
    expect(err(`run ep-1 ${DS} --constructor`).message).toBe('`--constructor` is not an option of `run`.');
    expect(err('help toString').message).toMatch(/no command `tostring`/);
  });

  it('refuses help about a command that does not exist, with a suggestion', () => {
    expect(err('help stauts')).toMatchObject({ suggestion: 'Did you mean `help status`?' });
  });
});

/** The blocks of a Slack help message as text, with mrkdwn's escapes undone. */
const shown = (help: ReturnType<typeof buildHelpMessage>): string => JSON.stringify(help.blocks).replace(/&lt;/g, '<').replace(/&gt;/g, '>');

describe('USAGE and the help texts', () => {
  it('has a usage line for every verb', () => {
    for (const verb of VERBS) expect(USAGE[verb].length).toBeGreaterThan(0);
    expect(USAGE.run).toBe(
      'run [<endpoint> <input-uri> [--file] [--output <datastore-file-uri>] [--deployment <deployment>] [--mini-batch-size <n>] [--instance-count <n>] [--error-threshold <n>] [--max-retries <n>] [--retry-timeout <duration>] [--output-file-name <name>]]',
    );
    expect(USAGE['data-register']).toBe('data register <name> <uri> [--file] [--version <version>]');
  });

  it("lists every verb in Slack's general help, and one verb with an example", () => {
    const all = shown(buildHelpMessage());
    for (const verb of VERBS) expect(all).toContain(USAGE[verb]);
    expect(shown(buildHelpMessage({ topic: 'cancel' }))).toContain('Example: `cancel ');
  });

  it('has examples that parse', () => {
    for (const verb of VERBS) expect(parseCommand(verbHelp(verb).example).ok).toBe(true);
  });
});

describe('editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('fiel', 'file')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties

const endpointName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/);
const jobName = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,40}$/);
const assetName = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,30}$/);
const pathSegment = fc.stringMatching(/^[a-zA-Z0-9_-]{1,10}$/);
const datastoreUri = fc
  .tuple(fc.stringMatching(/^[a-zA-Z0-9_]{1,15}$/), fc.array(pathSegment, { minLength: 1, maxLength: 4 }))
  .map(([ds, segs]) => `azureml://datastores/${ds}/paths/${segs.join('/')}`);
const httpsUri = fc.tuple(fc.domain(), fc.array(pathSegment, { maxLength: 4 })).map(([host, segs]) => `https://${host}/${segs.join('/')}`);
const folderUri = fc.oneof(datastoreUri.map((u) => `${u}/`), httpsUri, datastoreUri);
const fileUri = fc.oneof(datastoreUri, httpsUri.map((u) => `${u}/f.csv`));

const command: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ verb: fc.constant('help'), topic: fc.option(fc.constantFrom(...VERBS), { nil: undefined }) }),
  fc.record({ verb: fc.constant('deploy'), specFile: fc.option(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]/.test(s)), { nil: undefined }) }),
  fc.constant({ verb: 'run' }),
  fc.record({
    verb: fc.constant('run'),
    spec: fc.record({
      endpointName,
      deploymentName: fc.option(endpointName, { nil: undefined }),
      input: fc.oneof(fc.record({ kind: fc.constant('UriFolder'), uri: folderUri }), fc.record({ kind: fc.constant('UriFile'), uri: fileUri })),
      output: fc.option(fc.record({ uri: datastoreUri.map((u) => `${u}.csv`) }), { nil: undefined }),
      settings: fc.option(
        fc.record(
          {
            instanceCount: fc.integer({ min: 1, max: 1000 }),
            miniBatchSize: fc.integer({ min: 1, max: 1_000_000 }),
            errorThreshold: fc.integer({ min: -1, max: 100_000 }),
            outputFileName: fc.stringMatching(/^[a-zA-Z0-9_.-]{1,20}$/).filter((n) => n !== '.' && n !== '..'),
            retrySettings: fc.record({ maxRetries: fc.integer({ min: 0, max: 100 }), timeout: fc.constantFrom('PT30S', 'PT2M', 'P1DT2H') }, { requiredKeys: ['maxRetries'] }),
          },
          { requiredKeys: [] },
        ).filter((settings) => Object.keys(settings).length > 0),
        { nil: undefined },
      ),
    }),
  }),
  fc.record({ verb: fc.constantFrom('status', 'cancel'), jobName }),
  fc.record({ verb: fc.constant('jobs'), endpointName: fc.option(endpointName, { nil: undefined }) }),
  fc.constant({ verb: 'endpoints' }),
  fc.record({ verb: fc.constantFrom('show', 'delete'), endpointName }),
  fc.record({ verb: fc.constant('set-default'), endpointName, deploymentName: endpointName }),
  fc.record({ verb: fc.constant('lock'), endpointName, reason: fc.option(fc.string({ minLength: 1, maxLength: 60 }), { nil: undefined }) }),
  fc.record({ verb: fc.constant('unlock'), endpointName }),
  fc.record({
    verb: fc.constant('data-register'),
    name: assetName,
    kind: fc.constantFrom('UriFolder', 'UriFile'),
    uri: fileUri,
    version: fc.option(assetName, { nil: undefined }),
  }),
);

/** Drops undefined fields, as JSON (and so the queue) would. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

describe('parseCommand properties', () => {
  it('round-trips every valid command through formatCommand', () => {
    fc.assert(
      fc.property(command, (raw) => {
        const parsed = commandSchema.safeParse(raw);
        fc.pre(parsed.success);
        if (!parsed.success) return;
        const text = formatCommand(parsed.data);
        const again = parseCommand(text);
        expect(again).toEqual({ ok: true, command: plain(parsed.data) });
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same command for Slack-escaped text', () => {
    fc.assert(
      fc.property(command, (raw) => {
        const parsed = commandSchema.safeParse(raw);
        fc.pre(parsed.success);
        if (!parsed.success) return;
        const text = formatCommand(parsed.data);
        // Literal entity text in a spec file name is the one thing Slack and a terminal cannot agree on.
        fc.pre(!/[&<>]/.test(text));
        // What Slack sends: & < > escaped, URLs wrapped as links.
        const slack = text
          .replace(/&/g, '&amp;')
          .replace(/</g, '&lt;')
          .replace(/>/g, '&gt;')
          .replace(/(^| )(https:\/\/[^ "]+)/g, (_m, sp: string, url: string) => `${sp}<${url}|${url.replace(/^https:\/\//, '')}>`);
        expect(parseCommand(slack)).toEqual(parseCommand(text));
      }),
      { numRuns: 1000 },
    );
  });

  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.array(
      fc.constantFrom(
        'run', 'status', 'data', 'register', 'help', '--file', '--output', '--output=', '--deployment', '"', "'", '“', '—', '<', '>', '&amp;', '&lt;',
        '<!channel>', '<@U123>', '<https://x.com|y>', '`', '\u0000', '\u202e', '\n', 'azureml://datastores/ds/paths/a', 'https://e.com/a', 'http://e.com',
        '../..', '${jndi:ldap://x}', "'; DROP TABLE jobs; --", '%00', '\\', 'ep-1', 'job_1',
      ),
      { maxLength: 30 },
    ).map((parts) => parts.join(' ')),
  );

  it('never throws, and always gives a valid command or a clear error, whatever the input', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const result = parseCommand(text);
        if (result.ok) {
          expect(commandSchema.safeParse(result.command).success).toBe(true);
        } else {
          expect(result.error.message.length).toBeGreaterThan(0);
          expect(result.error.message.length).toBeLessThan(1500);
          expect(result.error.usage.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 4000 },
    );
  });

  it('stays fast on huge input', () => {
    const started = process.hrtime.bigint();
    for (const text of ['a'.repeat(MAX_COMMAND_LENGTH), `run ${'x'.repeat(MAX_COMMAND_LENGTH - 4)}`, '"'.repeat(MAX_COMMAND_LENGTH), 'x'.repeat(1_000_000)]) {
      expect(parseCommand(text).ok).toBe(false);
    }
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });
});

describe('run settings in the grammar', () => {
  it('reads per-job settings as RunSpec.settings, numbers as numbers', () => {
    const command = ok(`run mnist-batch ${DS} --mini-batch-size 1 --instance-count 2 --error-threshold -1 --max-retries 0 --retry-timeout PT2M --output-file-name scores.csv`);
    expect(command).toEqual({
      verb: 'run',
      spec: {
        endpointName: 'mnist-batch',
        input: { kind: 'UriFolder', uri: DS },
        settings: { miniBatchSize: 1, instanceCount: 2, errorThreshold: -1, outputFileName: 'scores.csv', retrySettings: { maxRetries: 0, timeout: 'PT2M' } },
      },
    });
  });

  it('leaves settings out when none is given, so the deployment decides', () => {
    expect(ok(`run mnist-batch ${DS}`)).toEqual({ verb: 'run', spec: { endpointName: 'mnist-batch', input: { kind: 'UriFolder', uri: DS } } });
  });

  it.each([
    ['--mini-batch-size 0', /^--mini-batch-size: mini-batch size must be at least 1/],
    ['--instance-count 1.5', /^--instance-count: instance count must be a whole number/],
    ['--instance-count lots', /^--instance-count: instance count must be a whole number/],
    ['--error-threshold -2', /^--error-threshold: error threshold must be at least -1/],
    ['--max-retries 101', /^--max-retries: max retries must be at most 100/],
    ['--retry-timeout 30s', /^--retry-timeout: must be an ISO 8601 duration/],
    ['--output-file-name out/p.csv', /^--output-file-name: the output file name must be a name/],
  ])('refuses %s with the flag named', (flags, message) => {
    expect(err(`run mnist-batch ${DS} ${flags}`).message).toMatch(message);
  });

  it('refuses an output file name next to an output file, which already names it', () => {
    expect(err(`run mnist-batch ${DS} --output ${OUT} --output-file-name p.csv`).message).toMatch(/^--output-file-name: the output file already names the file/);
  });
});

describe('lock and unlock in the grammar', () => {
  it('reads the rest of the line as the reason, and no reason as none', () => {
    expect(ok('lock fraud-ep release freeze until Monday')).toEqual({ verb: 'lock', endpointName: 'fraud-ep', reason: 'release freeze until Monday' });
    expect(ok('lock fraud-ep "incident #42: do not touch"')).toEqual({ verb: 'lock', endpointName: 'fraud-ep', reason: 'incident #42: do not touch' });
    expect(ok('lock fraud-ep')).toEqual({ verb: 'lock', endpointName: 'fraud-ep' });
    expect(ok('unlock fraud-ep')).toEqual({ verb: 'unlock', endpointName: 'fraud-ep' });
  });

  it('refuses a missing endpoint, an extra word after unlock and an over-long reason', () => {
    expect(err('lock').message).toMatch(/needs <endpoint>/);
    expect(err('unlock fraud-ep now').message).toMatch(/extra `now`/);
    expect(err(`lock fraud-ep ${'x'.repeat(301)}`).message).toMatch(/^<reason…>: the reason is longer than 300/);
  });

  it('suggests lock for freeze', () => {
    expect(err('freeze fraud-ep').suggestion).toBe('Did you mean `lock`?');
  });
});


describe('--workspace in the grammar', () => {
  const parsed = (text: string) => {
    const result = parseCommand(text);
    if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${result.error.message}`);
    return { command: result.command, workspace: result.workspace };
  };

  it('takes it anywhere, for any verb, and the verb never sees it', () => {
    expect(parsed('--workspace prod status job-1')).toEqual({ command: { verb: 'status', jobName: 'job-1' }, workspace: 'prod' });
    expect(parsed('status --workspace prod job-1')).toEqual({ command: { verb: 'status', jobName: 'job-1' }, workspace: 'prod' });
    expect(parsed(`run ep-1 ${DS} --workspace prod --deployment d-1`)).toMatchObject({ command: { spec: { deploymentName: 'd-1' } }, workspace: 'prod' });
    expect(parsed('endpoints --workspace eu-west-2')).toEqual({ command: { verb: 'endpoints' }, workspace: 'eu-west-2' });
    expect(parsed('--workspace prod')).toEqual({ command: { verb: 'help' }, workspace: 'prod' });
  });

  it('reads --workspace=<name>, and any case of the flag and the name', () => {
    expect(parsed('show ep-1 --workspace=prod')).toEqual({ command: { verb: 'show', endpointName: 'ep-1' }, workspace: 'prod' });
    expect(parsed('show ep-1 --WORKSPACE Prod')).toEqual({ command: { verb: 'show', endpointName: 'ep-1' }, workspace: 'prod' });
  });

  it('leaves the result without a workspace when none is named', () => {
    expect(parseCommand('show ep-1')).toEqual({ ok: true, command: { verb: 'show', endpointName: 'ep-1' } });
  });

  it('reads the dash Slack clients auto-correct, as it does for every flag', () => {
    expect(parsed('show ep-1 —workspace prod')).toEqual({ command: { verb: 'show', endpointName: 'ep-1' }, workspace: 'prod' });
    expect(parsed('–workspace=prod jobs')).toEqual({ command: { verb: 'jobs' }, workspace: 'prod' });
  });

  it('leaves a quoted "--workspace" alone: it is text, not the option', () => {
    expect(parsed('deploy --spec "--workspace"')).toEqual({ command: { verb: 'deploy', specFile: '--workspace' }, workspace: undefined });
  });

  it('refuses it twice, without a name, or with a name no profile could have', () => {
    expect(err('--workspace dev show ep-1 --workspace=prod')).toMatchObject({ message: '`--workspace` is given more than once.', usage: '--workspace <name>' });
    expect(err('show ep-1 --workspace dev —workspace dev').message).toBe('`--workspace` is given more than once.');
    for (const text of ['show ep-1 --workspace', 'show ep-1 --workspace=', 'show --workspace --json ep-1']) {
      expect(err(text)).toMatchObject({ message: '`--workspace` needs the name of a workspace, as in `--workspace prod`.', usage: '--workspace <name>' });
    }
    expect(err('show ep-1 --workspace 9lives').message).toBe('`9lives` is not a workspace name (a letter, then letters, digits or "-").');
    expect(err('show ep-1 --workspace prod_eu').message).toContain('is not a workspace name');
    expect(err('show ep-1 --workspace=a-name-far-too-long-for-a-profile').message).toContain('is not a workspace name');
  });

  it('keeps backticks of a bad name out of the message', () => {
    expect(err('show ep-1 --workspace `rm`').message).not.toMatch(/``/);
  });

  it("is mentioned in the CLI's general help, and in Slack's when the bot serves several workspaces", () => {
    expect(cliHelpText()).toContain('[--workspace <name>]');
    expect(shown(buildHelpMessage({ workspaces: { all: ['dev', 'prod'], here: ['dev'] } }))).toContain('--workspace <name>');
  });
});
