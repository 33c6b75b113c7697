// The interactive sandbox console's actions on the embedded stack: one parsed line at a time, played
// through the signed driver exactly as the demo and the end-to-end tests play the user. What the bot
// answers is printed by the channel transcript as it arrives; this module prints only the console's
// own confirmations and refusals. Actions that depend on the bot (submitting a modal it is still
// opening, pressing a button on a message still to come) wait for it briefly instead of failing.
import { DEFAULT_USERS, type StoredMessage } from '../../sandbox/slack';
import { SlackDriverError } from '../../sandbox/slack/driver';
import { renderView } from '../../sandbox/slack/render-text';
import { STACK_CHANNEL, STACK_USERS, type EmbeddedStack } from '../embedded-stack';
import type { ChannelTranscript } from './channel-transcript';
import { CONSOLE_HELP, parseConsoleLine, type ConsoleCommand } from './console-commands';
import { exampleFolders } from './example-folders';
import { mnistLikeFiles } from './mnist-like-images';
import { viewWithFields } from './modal-with-fields';

export interface SandboxConsole {
  /** Runs one line; resolves 'exit' when the user asked to leave. */
  execute(line: string): Promise<'continue' | 'exit'>;
  /** "alice> " */
  prompt(): string;
  /**
   * Resolves once the bot has answered what the console last sent it (something arrived since, then
   * `quietMs` of silence), or after `maxMs`: a piped script's last answers are printed before it exits.
   */
  settle(opts?: { quietMs?: number; maxMs?: number }): Promise<void>;
}

export interface SandboxConsoleOptions {
  stack: EmbeddedStack;
  transcript: ChannelTranscript;
  /** The console's own output (not the channel's). */
  write: (text: string) => void;
  channel?: string;
  command?: string;
  /** How long an action waits for the bot (an opening modal, a coming button); `wait` waits 60 s. */
  settleMs?: number;
}

interface Button {
  label: string;
  actionId: string;
}

function buttonsOf(message: StoredMessage): Button[] {
  const found: Button[] = [];
  for (const block of (message.blocks ?? []) as Array<Record<string, unknown>>) {
    const elements = block.type === 'actions' && Array.isArray(block.elements) ? block.elements : [block.accessory];
    for (const el of elements as Array<Record<string, unknown> | undefined>) {
      if (el?.type === 'button') found.push({ label: String((el.text as { text?: unknown } | undefined)?.text ?? ''), actionId: String(el.action_id) });
    }
  }
  return found;
}

export function createSandboxConsole(opts: SandboxConsoleOptions): SandboxConsole {
  const { stack, transcript, write } = opts;
  const { driver, slack } = stack;
  const channel = opts.channel ?? STACK_CHANNEL;
  const command = opts.command ?? '/batch-score';
  const settleMs = opts.settleMs ?? 5_000;
  const userIds = new Map(DEFAULT_USERS.map((u) => [u.name, u.id]));
  let user: string = STACK_USERS.requester;
  /** Field values for the current user's open modal, by block_id, action_id or label. */
  let fields: Record<string, string> = {};
  /** When the console last sent the bot something, and when Slack last saw anything (a post, an edit, a view). */
  let lastSentAt: number | undefined;
  let lastEventAt = 0;
  const unsubscribe = slack.onEvent(() => (lastEventAt = Date.now()));
  const sent = (): void => void (lastSentAt = Date.now());

  const nameOf = (id: string): string => transcript.renderOptions.users?.[id] ?? id;
  const openModal = () => [...slack.views()].reverse().find((v) => v.open && v.user === user);
  const soon = <T>(probe: () => T | undefined | false | null, what: string, timeoutMs = settleMs): Promise<T> => driver.waitFor(probe, { timeoutMs, what });

  /** Messages the current user can see, newest first. */
  const visible = (): StoredMessage[] => {
    const all = slack.messages(channel).flatMap((m) => [m, ...slack.thread(channel, m.ts).slice(1)]);
    const mine = slack.ephemerals(channel, user);
    return [...all, ...mine].filter((m) => !m.deleted).sort((a, b) => Number(b.ts) - Number(a.ts));
  };

  const findTarget = (cmd: Extract<ConsoleCommand, { kind: 'press' }>): { message: StoredMessage; button: Button } | string => {
    const matches = (b: Button): boolean => cmd.label === undefined || b.label.toLowerCase() === cmd.label.toLowerCase() || b.actionId === cmd.label;
    if (cmd.message !== undefined) {
      const ref = transcript.messageNumbered(cmd.message);
      const message = ref && slack.message(ref.channel, ref.ts);
      if (!message) return `there is no message [${cmd.message}]`;
      const buttons = buttonsOf(message);
      if (buttons.length === 0) return `message [${cmd.message}] has no buttons`;
      const chosen = buttons.filter(matches);
      if (chosen.length === 1) return { message, button: chosen[0] as Button };
      if (cmd.label === undefined) return `message [${cmd.message}] has ${buttons.map((b) => `[${b.label}]`).join(' ')}: say which, e.g. "press ${buttons[0]?.label} on ${cmd.message}"`;
      return `message [${cmd.message}] has no [${cmd.label}] button (it has ${buttons.map((b) => `[${b.label}]`).join(' ')})`;
    }
    for (const message of visible()) {
      const button = buttonsOf(message).find(matches);
      if (button) return { message, button };
    }
    return `no message shows a [${cmd.label}] button`;
  };

  const run = async (cmd: ConsoleCommand): Promise<'continue' | 'exit'> => {
    switch (cmd.kind) {
      case 'nothing':
        return 'continue';
      case 'invalid':
        write(`?? ${cmd.message}`);
        return 'continue';
      case 'help':
        write(CONSOLE_HELP);
        return 'continue';
      case 'exit':
        return 'exit';
      case 'as': {
        const id = userIds.get(cmd.user);
        if (!id) {
          write(`?? no user "${cmd.user}"; try ${[...userIds.keys()].join(', ')}`);
          return 'continue';
        }
        user = id;
        fields = {};
        write(`(you are now ${cmd.user})`);
        return 'continue';
      }
      case 'slash': {
        transcript.action(user, `${command} ${cmd.text}`);
        fields = {};
        sent();
        const res = await driver.slash(cmd.text, { user, channel, command });
        if (res.status !== 200) write(`!! the bot answered HTTP ${res.status}`);
        return 'continue';
      }
      case 'set':
        fields[cmd.field] = cmd.value;
        write(`(${cmd.field} = ${cmd.value.includes('\n') ? `${cmd.value.split('\n').length} lines` : cmd.value})`);
        return 'continue';
      case 'modal': {
        // A form the bot is still opening (right after "deploy") is waited for briefly, as submit does.
        const view = await soon(openModal, `a modal open for ${nameOf(user)}`).catch(() => undefined);
        if (!view) {
          write('(no modal is open)');
          return 'continue';
        }
        // As filled so far: the values given with `set` are what `submit` will send.
        const filled = viewWithFields(view, fields);
        write(renderView(filled.view, transcript.renderOptions));
        if (filled.unknown.length) write(`?? set but not a field of this form: ${filled.unknown.join(', ')}`);
        const folders = exampleFolders(stack.artifactsRoot);
        if (folders.length && view.blocks.some((b) => /"block_id":"(model|code)"/.test(JSON.stringify(b)))) {
          write(`(folders the Model and Scoring code fields can use, under the artifacts root: ${folders.join(', ')})`);
        }
        return 'continue';
      }
      case 'submit': {
        const view = await soon(openModal, `a modal open for ${nameOf(user)}`).catch(() => undefined);
        if (!view) {
          write(`?? no modal is open for ${nameOf(user)}; start one with a command such as "deploy"`);
          return 'continue';
        }
        transcript.action(user, `submits the modal (${Object.keys(fields).join(', ') || 'no fields set'})`);
        sent();
        const submitted = await driver.fillAndSubmit(view.id, fields, { user });
        if (submitted.outcome.kind === 'closed') fields = {};
        else write(`(the modal stays open: ${submitted.outcome.kind}; fix the fields marked ⚠ with "set", then "submit")`);
        return 'continue';
      }
      case 'cancel': {
        const view = openModal();
        if (!view) {
          write('(no modal is open)');
          return 'continue';
        }
        await driver.closeView(view.id, { user });
        fields = {};
        return 'continue';
      }
      case 'press': {
        const target = await soon(() => {
          const t = findTarget(cmd);
          return typeof t === 'string' ? undefined : t;
        }, 'the button').catch(() => findTarget(cmd));
        if (typeof target === 'string') {
          write(`?? ${target}`);
          return 'continue';
        }
        transcript.action(user, `clicks [${target.button.label}] on [${transcript.numberOf(target.message)}]`);
        sent();
        const res = await driver.clickButton({ channel: target.message.channel, ts: target.message.ts }, target.button.actionId, { user });
        if (res.status !== 200) write(`!! the bot answered HTTP ${res.status}`);
        return 'continue';
      }
      case 'upload': {
        const files = mnistLikeFiles(cmd.count);
        await Promise.all(files.map((f) => stack.azureml.admin.putDatastoreFile(`${cmd.folder}/${f.name}`, f.content)));
        transcript.action(user, `uploads ${files.length} MNIST-like PNGs to azureml://datastores/workspaceblobstore/paths/${cmd.folder}`);
        return 'continue';
      }
      case 'wait': {
        const needle = cmd.text.toLowerCase();
        const since = Date.now();
        const found = await soon(
          () => visible().find((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`.toLowerCase().includes(needle)),
          `a message containing "${cmd.text}"`,
          60_000,
        ).catch(() => undefined);
        write(found ? `(found in [${transcript.numberOf(found)}] after ${((Date.now() - since) / 1000).toFixed(1)} s)` : `?? no message contains "${cmd.text}" after 60 s`);
        return 'continue';
      }
      case 'show':
        write(transcript.snapshot(channel));
        return 'continue';
    }
  };

  return {
    prompt: () => `${nameOf(user)}> `,
    async settle({ quietMs = 1_500, maxMs = 15_000 } = {}) {
      const sentAt = lastSentAt;
      if (sentAt !== undefined) {
        const answered = (): boolean => lastEventAt >= sentAt && Date.now() - lastEventAt >= quietMs;
        await soon(() => answered(), 'the bot to answer', maxMs).catch(() => undefined);
      }
      unsubscribe();
    },
    async execute(line) {
      try {
        return await run(parseConsoleLine(line, command));
      } catch (err) {
        write(`!! ${err instanceof SlackDriverError ? err.message : err instanceof Error ? err.message : String(err)}`);
        return 'continue';
      }
    },
  };
}
