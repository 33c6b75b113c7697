// The ARM requests of Azure's "deploy models for batch scoring with REST" page
// (../shared/azureml/batch-score-rest-recipe.zh-CN.txt), read from the page itself so the bodies
// stay verbatim: `curl --request METHOD URL … --data-raw "…"` snippets, expanded the way bash expands
// a double-quoted word (`\"` → `"`, `$VAR`, and the one command substitution the page uses,
// `$(echo \"$CONDA_FILE\")`). Trailing commas, numbers written as strings and `"info"` survive as sent.
import fs from 'node:fs';

export interface RecipeRequest {
  method: string;
  /** The URL with variables expanded (the page's host: management.chinacloudapi.cn or management.azure.com). */
  url: string;
  /** The request body exactly as curl would send it; undefined when the snippet has none. */
  body?: string;
}

export class RecipeParseError extends Error {
  override readonly name = 'RecipeParseError';
}

/** Expands the inside of a bash double-quoted string, starting at `start`; returns the text and where the closing quote is. */
function expandDoubleQuoted(text: string, start: number, vars: Record<string, string>): { value: string; end: number } {
  const variable = (name: string): string => {
    const value = vars[name];
    if (value === undefined) throw new RecipeParseError(`the recipe uses $${name}, which has no value`);
    return value;
  };
  let out = '';
  let i = start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return { value: out, end: i };
    if (c === '\\') {
      const next = text[i + 1] ?? '';
      // In double quotes a backslash escapes only $ ` " \ and newline (bash manual, "Double Quotes").
      if (next === '\n') out += '';
      else if ('$`"\\'.includes(next)) out += next;
      else out += c + next;
      i += 2;
      continue;
    }
    if (c === '$' && text[i + 1] === '(') {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')') depth--;
        j++;
      }
      const command = text.slice(i + 2, j - 1).trim();
      const echo = /^echo \\"\$([A-Za-z_][A-Za-z0-9_]*)\\"$/.exec(command);
      if (!echo) throw new RecipeParseError(`unsupported command substitution in the recipe: $(${command})`);
      out += `"${variable(echo[1]!)}"`;
      i = j;
      continue;
    }
    if (c === '$') {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
      if (m) {
        out += variable((m[1] ?? m[2])!);
        i += m[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  throw new RecipeParseError('unterminated double-quoted string in the recipe');
}

/** Every `curl … --request METHOD URL` snippet of the page, in page order, with its `--data-raw` body. */
export function readRecipeRequests(file: string, vars: Record<string, string>): RecipeRequest[] {
  const text = fs.readFileSync(file, 'utf8');
  const starts = [...text.matchAll(/curl --location --request (GET|PUT|POST|PATCH|DELETE) /g)];
  return starts.map((m, k) => {
    const from = m.index! + m[0].length;
    const until = starts[k + 1]?.index ?? text.length;
    let url: string;
    let after: number;
    if (text[from] === '"') {
      const quoted = expandDoubleQuoted(text, from + 1, vars);
      url = quoted.value;
      after = quoted.end + 1;
    } else {
      const bare = /^\S+/.exec(text.slice(from))![0];
      url = expandDoubleQuoted(`${bare}"`, 0, vars).value;
      after = from + bare.length;
    }
    const data = text.indexOf('--data-raw "', after);
    const body = data >= 0 && data < until ? expandDoubleQuoted(text, data + '--data-raw "'.length, vars).value : undefined;
    return { method: m[1]!, url, body };
  });
}
