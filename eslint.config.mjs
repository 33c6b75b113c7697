import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

// ---- Folder boundaries (docs/architecture.md, "Module map") ------------------------------------------
// Each zone is a folder (`src/slack/`) or one file (`src/config.ts`); `src/*.ts` is every other file directly
// in src/ (the entry points and their wiring). `may` lists what a zone's files may import besides their own
// zone: zones, or single files (`src/azureml/clouds.ts`). `import type` counts: it is still a dependency.
// A zone not listed here (dev/, test/, bench/, scripts/) may import anything. Files under src/ may import
// Node's built-ins and the production dependencies of package.json only (the image has nothing else);
// `packages` narrows that further for a zone.
const SRC = ['src/domain/', 'src/azureml/', 'src/usecases/', 'src/slack/', 'src/queue/', 'src/handlers/', 'src/cli/', 'src/config.ts', 'src/*.ts'];
export const BOUNDARIES = {
  'src/domain/': { may: [], packages: ['zod', 'yaml'], why: 'pure: no I/O, no other layer' },
  'src/azureml/': { may: ['src/domain/'] },
  'src/usecases/': { may: ['src/domain/', 'src/azureml/'] },
  'src/slack/': { may: ['src/domain/', 'src/usecases/'], why: 'Slack renders what the use cases return' },
  'src/queue/': { may: ['src/domain/', 'src/azureml/', 'src/usecases/', 'src/slack/'] },
  'src/handlers/': { may: ['src/domain/', 'src/usecases/', 'src/slack/', 'src/queue/'] },
  'src/cli/': { may: ['src/domain/', 'src/azureml/', 'src/usecases/', 'src/config.ts'] },
  'src/config.ts': { may: ['src/domain/', 'src/azureml/clouds.ts'], packages: ['zod'] },
  'src/*.ts': { may: SRC },
  'sandbox/': { may: [], why: 'independent of the product, so a shared bug cannot hide' },
};

const PRODUCTION_PACKAGES = Object.keys(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).dependencies ?? {});
const BUILTINS = new Set(builtinModules);

/** The zone of a repository-relative path (no extension needed), or undefined outside every zone. */
function zoneOf(rel) {
  const parts = rel.split('/');
  if (parts[0] === 'src' && parts.length >= 3) return `src/${parts[1]}/`;
  if (parts[0] === 'src' && parts.length === 2) {
    if (existsSync(path.join(ROOT, rel)) && statSync(path.join(ROOT, rel)).isDirectory()) return `src/${parts[1]}/`;
    return /^config(\.ts)?$/.test(parts[1]) ? 'src/config.ts' : 'src/*.ts';
  }
  return parts.length >= 2 ? `${parts[0]}/` : undefined;
}

const withoutTs = (p) => p.replace(/\.ts$/, '');
const isZone = (m) => m.endsWith('/') || m in BOUNDARIES;
const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/** What is wrong with `spec` imported from `file`, or undefined when the boundaries allow it. */
function boundaryProblem(file, spec) {
  const from = zoneOf(path.relative(ROOT, file).split(path.sep).join('/'));
  const rules = BOUNDARIES[from];
  if (!rules) return undefined;
  const why = rules.why ? ` (${rules.why})` : '';
  if (!spec.startsWith('.') && !spec.startsWith('/')) {
    const builtin = spec.startsWith('node:') || BUILTINS.has(spec);
    const name = packageOf(spec);
    if (rules.packages && (builtin || !rules.packages.includes(name))) return `${from} may import no package but ${rules.packages.join(', ')}${why}`;
    if (from.startsWith('src/') && !builtin && !PRODUCTION_PACKAGES.includes(name)) return `${name} is not a production dependency: src/ runs without dev packages`;
    return undefined;
  }
  const target = path.relative(ROOT, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
  const to = zoneOf(target);
  if (to === from || rules.may.some((m) => (isZone(m) ? m === to : withoutTs(m) === withoutTs(target)))) return undefined;
  const may = rules.may.length > 0 ? rules.may.join(', ') : 'nothing outside itself';
  return `${from} may not import ${to ?? target}; it may import ${may}${why}. See docs/architecture.md`;
}

const importBoundaries = {
  meta: { type: 'problem', schema: [], docs: { description: 'folder boundaries: who may import what (docs/architecture.md)' } },
  create(context) {
    const check = (node, source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const problem = boundaryProblem(context.filename, source.value);
      if (problem) context.report({ node: source, message: problem });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportEqualsDeclaration: (node) => check(node, node.moduleReference.expression),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0]);
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'sandbox/**/*.ts'],
    plugins: { boundaries: { rules: { imports: importBoundaries } } },
    rules: { 'boundaries/imports': 'error' },
  },
);
