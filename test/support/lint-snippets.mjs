// Lints snippets with the repository's own ESLint configuration, in a process of its own: ESLint loads
// eslint.config.mjs with a dynamic import, which Jest's module sandbox does not run. Reads
// `[{ file, code }]` as JSON on stdin; writes `{ messages: [[message…]…], boundaries }` on stdout, where
// `boundaries` is the table eslint.config.mjs enforces.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { BOUNDARIES } = await import(pathToFileURL(path.join(root, 'eslint.config.mjs')).href);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const eslint = new ESLint({ cwd: root });
const messages = [];
for (const { file, code } of JSON.parse(input)) {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  // The boundary rule's messages and any parse failure; other rules (unused imports…) are not asked about.
  messages.push(result.messages.filter((m) => m.ruleId === 'boundaries/imports' || m.fatal).map((m) => `${m.ruleId ?? 'parser'}: ${m.message}`));
}
process.stdout.write(JSON.stringify({ messages, boundaries: BOUNDARIES }));
