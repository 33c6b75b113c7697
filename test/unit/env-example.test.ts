// .env.example and the README's configuration table are the operator's two lists of variables: both must
// name exactly what src/config.ts reads, each once, and the example's values must load. A variable added to
// the schema without a line here (or a line left behind by a removed one) fails this test.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { renderConfigTable, tableInReadme, withConfigTable } from '../../scripts/config-table';

const ROOT = path.resolve(__dirname, '..', '..');

interface ExampleLine {
  name: string;
  value: string;
  comment: string | undefined;
}

/** `NAME=value` lines, each with the comment line right above it (dotenv syntax as compose reads it). */
function exampleVariables(text: string): ExampleLine[] {
  const lines = text.split('\n');
  const found: ExampleLine[] = [];
  lines.forEach((line, i) => {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) return;
    const above = lines[i - 1];
    found.push({ name: m[1] as string, value: m[2] as string, comment: above?.startsWith('# ') ? above : undefined });
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
