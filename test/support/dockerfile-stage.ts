// Reads a Dockerfile's instructions so a test can perform one stage's steps without a Docker daemon:
// continuation lines joined, comments and the parser directive dropped, each stage named by its `AS`.
// Only what our Dockerfile uses is understood; anything else is reported, never silently skipped.

export interface DockerInstruction {
  /** Upper-case keyword: FROM, COPY, RUN, ENV, … */
  op: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  rest: string;
}

export interface DockerStage {
  name: string;
  from: string;
  instructions: DockerInstruction[];
}

export function parseDockerfile(text: string): DockerStage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`cannot read Dockerfile line: ${line}`);
    const op = (m[1] as string).toUpperCase();
    const rest = (m[2] as string).trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`cannot read FROM ${rest}`);
      stages.push({ from: from[1] as string, name: from[2] ?? String(stages.length), instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`${op} before the first FROM`);
    stage.instructions.push({ op, rest });
  }
  return stages;
}

/** `--flag=value` options in front of a COPY or RUN, and what follows them. */
export function splitFlags(rest: string): { flags: Record<string, string>; body: string } {
  const flags: Record<string, string> = {};
  let body = rest;
  for (;;) {
    const m = /^--([\w-]+)=(\S+)\s+/.exec(body);
    if (!m) break;
    flags[m[1] as string] = m[2] as string;
    body = body.slice(m[0].length);
  }
  return { flags, body };
}

/** An exec-form (`["node", "x"]`) or shell-form command as an argv. */
export function commandOf(rest: string): string[] {
  if (rest.startsWith('[')) return JSON.parse(rest) as string[];
  return ['/bin/sh', '-c', rest];
}
