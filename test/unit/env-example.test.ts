// .env.example and the README's configuration table are the operator's two lists of variables: both must
// name exactly what src/config.ts reads, each once, and the example's values must load. A variable added to
// the schema without a line here (or a line left behind by a removed one) fails this test.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, configDocRows, loadConfig, SECRET_ENV_VARS } from '../../src/config';
import { renderConfigTable, tableInReadme, withConfigTable } from '../../scripts/config-table';

const ROOT = path.resolve(__dirname, '..', '..');

interface ExampleLine {
  name: string;
  value: string;
  comment: string | undefined;
  /** Every comment line right above it, joined (a comment may run over several lines). */
  commentBlock: string;
}

/** `NAME=value` lines, each with the comment line right above it (dotenv syntax as compose reads it). */
function exampleVariables(text: string): ExampleLine[] {
  const lines = text.split('\n');
  const found: ExampleLine[] = [];
  lines.forEach((line, i) => {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) return;
    const above = lines[i - 1];
    let first = i;
    while (lines[first - 1]?.startsWith('# ')) first -= 1;
    const commentBlock = lines.slice(first, i).map((l) => l.slice(2)).join(' ');
    found.push({ name: m[1] as string, value: m[2] as string, comment: above?.startsWith('# ') ? above : undefined, commentBlock });
  });
  return found;
}

function readmeTableVariables(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## Configuration'));
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] as string);
}

describe('.env.example', () => {
  const example = exampleVariables(readFileSync(path.join(ROOT, '.env.example'), 'utf8'));

  it('names every configuration variable once, in the order src/config.ts declares them, and nothing else', () => {
    expect(example.map((v) => v.name)).toEqual([...CONFIG_VARIABLES]);
  });

  it('has a comment right above every variable', () => {
    expect(example.filter((v) => v.comment === undefined).map((v) => v.name)).toEqual([]);
  });

  it("says in each comment what src/config.ts's row says: the default, whether it is required, whether it is a secret", () => {
    const comments = new Map(example.map((v) => [v.name, v.commentBlock]));
    const drifted = configDocRows().flatMap((row) => {
      const comment = comments.get(row.variable) ?? '';
      const problems: string[] = [];
      // A default as text (`AzureCloud`) is quoted as is; one described in words is the comment's own wording.
      const fallback = /^`(.*)`$/.exec(row.default)?.[1];
      if (fallback !== undefined && !comment.includes(`default ${fallback}`)) problems.push(`default ${fallback}`);
      if (row.required.startsWith('yes') !== /\bRequired\b/.test(comment)) problems.push(`required: ${row.required}`);
      if (SECRET_ENV_VARS.includes(row.variable) !== /\bsecret\)|; secret\b/.test(comment)) problems.push('secret');
      return problems.map((p) => `${row.variable}: ${p}`);
    });
    expect(drifted).toEqual([]);
  });

  it('loads as it stands: the example values are valid and blank ones fall back to the defaults', () => {
    const env = Object.fromEntries(example.map((v) => [v.name, v.value]));
    const config = loadConfig(env);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.slack.appToken).toBeUndefined();
  });
});

describe("the README's configuration table", () => {
  it('lists every configuration variable once, and nothing else', () => {
    const listed = readmeTableVariables(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect([...listed].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it("is exactly the table rendered from src/config.ts's variables (`npm run docs:config` writes it)", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(tableInReadme(readme)).toBe(renderConfigTable());
  });

  it('is rewritten between its markers and nowhere else', () => {
    const readme = 'before\n<!-- config-table:start -->\n| stale |\n<!-- config-table:end -->\nafter\n';
    const written = withConfigTable(readme);
    expect(written.startsWith('before\n<!-- config-table:start -->\n| variable | required | default | meaning |\n')).toBe(true);
    expect(written.endsWith('\n<!-- config-table:end -->\nafter\n')).toBe(true);
    expect(tableInReadme(written)).toBe(renderConfigTable());
    expect(() => withConfigTable('no markers')).toThrow(/markers/);
  });
});
