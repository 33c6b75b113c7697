// The folder boundaries eslint.config.mjs enforces (docs/architecture.md, "Module map"), checked on
// snippets linted with the repository's real configuration, so a rule that stops matching (a renamed
// folder, a lost `files` block, an import form it misses) fails here instead of passing silently.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

interface Snippet {
  file: string;
  code: string;
}

interface Linted {
  messages: string[][];
  boundaries: Record<string, { may: string[] }>;
}

function lint(snippets: Snippet[]): Promise<Linted> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [path.join(ROOT, 'test', 'support', 'lint-snippets.mjs')], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Linted),
    );
    child.stdin?.end(JSON.stringify(snippets));
  });
}

// [file, import statement]: each must be reported as a boundary crossing.
const CROSSINGS: [string, string][] = [
  ['src/slack/thread-messages.ts', "import { jobSchema } from '../azureml/resources';"],
  ['src/slack/blocks/job-buttons.ts', "import type { Job } from '../../azureml/resources';"],
  ['src/slack/mrkdwn.ts', "import { createAzureMlClient } from '../azureml';"],
  ['src/slack/mrkdwn.ts', "export { enqueueWork } from '../queue/work-request';"],
  ['src/slack/mrkdwn.ts', "const handlers = require('../handlers/slash-command');"],
  ['src/slack/mrkdwn.ts', "export const later = () => import('../queue/producers');"],
  ['src/cli/job-follow.ts', "import { describeFailure } from '../queue/failure-report';"],
  ['src/cli/job-follow.ts', "import type { SlackMessage } from '../slack/blocks/block-kit';"],
  ['src/domain/run-spec.ts', "import { AZURE_CLOUDS } from '../azureml/clouds';"],
  ['src/domain/run-spec.ts', "import { readFile } from 'node:fs/promises';"],
  ['src/domain/run-spec.ts', "import pino from 'pino';"],
  ['src/azureml/jobs.ts', "import type { AzureConfig } from '../config';"],
  ['src/azureml/jobs.ts', "import { deployChecklist } from '../usecases/deploy-summary';"],
  ['src/usecases/job-summary.ts', "import { code } from '../slack/mrkdwn';"],
  ['src/queue/run-worker.ts', "import { startBot } from '../bot';"],
  ['src/queue/run-worker.ts', "import selfsigned from 'selfsigned';"],
  ['src/handlers/slash-command.ts', "import { createArmClient } from '../azureml/arm-client';"],
  ['src/config.ts', "import { createArmClient } from './azureml/arm-client';"],
  ['src/main.ts', "import { startSlackStandIn } from '../sandbox/slack';"],
  ['src/worker.ts', "import { startEmbeddedStack } from '../dev/embedded-stack';"],
  ['sandbox/slack/driver.ts', "import { parseCommand } from '../../src/domain/command-grammar';"],
  ['sandbox/azureml/main.ts', "import { STACK_USERS } from '../../dev/embedded-stack';"],
];

// [file, import statement]: each must pass.
const ALLOWED: [string, string][] = [
  ['src/slack/thread-messages.ts', "import type { RequestSubject } from '../domain/request-subject';"],
  ['src/slack/blocks/job-buttons.ts', "import { code } from '../mrkdwn';"],
  ['src/slack/thread-messages.ts', "import type { FailureReport } from '../usecases/failure-report';"],
  ['src/cli/job-follow.ts', "import { ConfigError } from '../config';"],
  ['src/cli/job-follow.ts', "import { describeFailure } from '../usecases/failure-report';"],
  ['src/domain/run-spec.ts', "import { z } from 'zod';"],
  ['src/domain/run-spec.ts', "import { parseDataReference } from './data-reference';"],
  ['src/queue/run-worker.ts', "import { threadMessages } from '../slack/thread-messages';"],
  ['src/queue/run-worker.ts', "import { Worker } from 'bullmq';"],
  ['src/handlers/slash-command.ts', "import { enqueueWork } from '../queue/work-request';"],
  ['src/config.ts', "import { cloudNameSchema } from './azureml/clouds';"],
  ['src/worker.ts', "import { createAzureMlFromConfig } from './azureml-from-config';"],
  ['sandbox/slack/driver.ts', "import { getFreePort } from '../stack/free-port';"],
  ['dev/embedded-stack.ts', "import { startSlackStandIn } from '../sandbox/slack';\nimport { startBot } from '../src/bot';"],
  ['test/unit/x.test.ts', "import { startEmbeddedStack } from '../../dev/embedded-stack';\nimport { createDeployProgress } from '../../src/domain/deploy-plan';"],
];

const snippet = ([file, code]: [string, string]): Snippet => ({ file, code: `${code}\nexport {};\n` });

describe('folder boundaries (eslint.config.mjs)', () => {
  let crossings: string[][];
  let allowed: string[][];
  let boundaries: Linted['boundaries'];

  beforeAll(async () => {
    const linted = await lint([...CROSSINGS, ...ALLOWED].map(snippet));
    crossings = linted.messages.slice(0, CROSSINGS.length);
    allowed = linted.messages.slice(CROSSINGS.length);
    boundaries = linted.boundaries;
  }, 60_000);

  it.each(CROSSINGS.map((c, i) => [...c, i] as const))('reports %s: %s', (_file, _code, i) => {
    expect(crossings[i]).toEqual([expect.stringMatching(/^boundaries\/imports: /)]);
  });

  it.each(ALLOWED.map((c, i) => [...c, i] as const))('allows %s: %s', (_file, _code, i) => {
    expect(allowed[i]).toEqual([]);
  });

  it('names the rule that was crossed and what the folder may import instead', () => {
    expect(crossings[0]).toEqual(['boundaries/imports: src/slack/ may not import src/azureml/; it may import src/domain/, src/usecases/ (Slack renders what the use cases return). See docs/architecture.md']);
  });

  it("matches docs/architecture.md's module map, row by row", () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const rows = doc.split('\n').filter((l) => l.startsWith('| `'));
    for (const [zone, rules] of Object.entries(boundaries)) {
      const row = rows.find((r) => r.split('|')[1]?.includes(`\`${zone}\``));
      expect({ zone, row: row !== undefined }).toEqual({ zone, row: true });
      const mayImport = (row as string).split('|')[3] as string;
      const named = [...mayImport.matchAll(/`((?:src|sandbox|dev)\/[^`]*)`/g)].map((m) => m[1]);
      expect({ zone, may: named.sort() }).toEqual({ zone, may: [...rules.may].sort() });
    }
  });
});
