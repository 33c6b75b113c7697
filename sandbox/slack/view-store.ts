// Modals as Slack keeps them: a stack per user of at most 3 views (views.push beyond that answers
// push_limit_reached), each with an id, a hash that changes on every update (views.update with a
// stale hash answers hash_conflict), and the ViewOutput fields a view_submission carries
// (@slack/bolt types/view ViewOutput). Limits from Slack's modal reference: title, submit and
// close 24 characters, private_metadata 3,000, callback_id and external_id 255, 100 blocks.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { findBlockProblems, formatProblems } from './block-kit-limits';
import { assignBlockIds } from './block-ids';

const PlainText = (max: number) =>
  z.object({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() });

export const ModalViewSchema = z.object({
  type: z.literal('modal'),
  title: PlainText(24),
  blocks: z.array(z.unknown()),
  close: PlainText(24).optional(),
  submit: PlainText(24).optional(),
  private_metadata: z.string().max(3000).optional(),
  callback_id: z.string().max(255).optional(),
  clear_on_close: z.boolean().optional(),
  notify_on_close: z.boolean().optional(),
  external_id: z.string().max(255).optional(),
  submit_disabled: z.boolean().optional(),
});
export type ModalView = z.infer<typeof ModalViewSchema>;

/** A view as Slack returns it from views.* and sends it in view_submission (ViewOutput). */
export interface SlackViewObject {
  id: string;
  team_id: string;
  type: 'modal';
  title: { type: 'plain_text'; text: string; emoji?: boolean };
  blocks: unknown[];
  close: { type: 'plain_text'; text: string; emoji?: boolean } | null;
  submit: { type: 'plain_text'; text: string; emoji?: boolean } | null;
  private_metadata: string;
  callback_id: string;
  state: { values: Record<string, Record<string, unknown>> };
  hash: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
  external_id: string;
  root_view_id: string;
  previous_view_id: string | null;
  app_id: string;
  app_installed_team_id: string;
  bot_id: string;
}

export interface StoredView extends SlackViewObject {
  /** Who sees the modal. */
  user: string;
  open: boolean;
  /** Inline errors from the bot's last `response_action: errors`, by block_id. */
  errors?: Record<string, string>;
}

export class ViewRejected extends Error {
  constructor(
    readonly code: 'invalid_arguments' | 'not_found' | 'hash_conflict' | 'push_limit_reached' | 'duplicate_external_id',
    readonly messages: string[] = [],
  ) {
    super(`${code}${messages.length ? `: ${messages.join('; ')}` : ''}`);
    this.name = 'ViewRejected';
  }
}

export const MAX_VIEW_STACK = 3;

/** Parse and check a view argument the way Slack does, or throw ViewRejected('invalid_arguments'). */
export function parseModalView(raw: unknown): ModalView {
  const parsed = ModalViewSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ViewRejected(
      'invalid_arguments',
      parsed.error.issues.map((i) => `[ERROR] ${i.message} [json-pointer:/view/${i.path.join('/')}]`),
    );
  }
  const problems = findBlockProblems(parsed.data.blocks, 'modal', '/view/blocks');
  const hasInputs = parsed.data.blocks.some((b) => (b as { type?: unknown })?.type === 'input');
  if (hasInputs && !parsed.data.submit) problems.push({ pointer: '/view/submit', message: 'must provide submit when the view has input blocks' });
  if (problems.length) throw new ViewRejected('invalid_arguments', formatProblems(problems));
  return parsed.data;
}

export interface ViewStore {
  open(view: ModalView, user: string): StoredView;
  push(view: ModalView, user: string): StoredView;
  update(ref: { viewId?: string; externalId?: string; hash?: string }, view: ModalView): StoredView;
  get(viewId: string): StoredView | undefined;
  all(): StoredView[];
  /** Close one view; with `all`, the whole stack it belongs to (response_action: clear). */
  close(viewId: string, opts?: { all?: boolean }): StoredView[];
}

export function createViewStore(ids: { teamId: string; appId: string; botId: string }, now: () => number): ViewStore {
  const views = new Map<string, StoredView>();
  let counter = 0;
  const newHash = () => `${Math.floor(now() / 1000)}.${randomBytes(4).toString('hex')}`;
  const build = (view: ModalView, user: string, root: string | null, previous: string | null): StoredView => {
    if (view.external_id && [...views.values()].some((v) => v.external_id === view.external_id)) {
      throw new ViewRejected('duplicate_external_id');
    }
    counter += 1;
    const id = `V${String(counter).padStart(10, '0')}`;
    const stored: StoredView = {
      id,
      team_id: ids.teamId,
      type: 'modal',
      title: view.title,
      blocks: assignBlockIds(view.blocks),
      close: view.close ?? null,
      submit: view.submit ?? null,
      private_metadata: view.private_metadata ?? '',
      callback_id: view.callback_id ?? '',
      state: { values: {} },
      hash: newHash(),
      clear_on_close: view.clear_on_close ?? false,
      notify_on_close: view.notify_on_close ?? false,
      external_id: view.external_id ?? '',
      root_view_id: root ?? id,
      previous_view_id: previous,
      app_id: ids.appId,
      app_installed_team_id: ids.teamId,
      bot_id: ids.botId,
      user,
      open: true,
    };
    views.set(id, stored);
    return stored;
  };
  const stackOf = (user: string) => [...views.values()].filter((v) => v.user === user && v.open);
  return {
    open(view, user) {
      // A new modal replaces whatever the user had open.
      for (const v of stackOf(user)) v.open = false;
      return build(view, user, null, null);
    },
    push(view, user) {
      const stack = stackOf(user);
      const top = stack[stack.length - 1];
      if (!top) throw new ViewRejected('not_found', ['[ERROR] no open view to push onto']);
      if (stack.length >= MAX_VIEW_STACK) throw new ViewRejected('push_limit_reached');
      return build(view, user, top.root_view_id, top.id);
    },
    update(ref, view) {
      const target = ref.viewId
        ? views.get(ref.viewId)
        : [...views.values()].find((v) => ref.externalId !== undefined && v.external_id === ref.externalId);
      if (!target || !target.open) throw new ViewRejected('not_found');
      if (ref.hash !== undefined && ref.hash !== target.hash) throw new ViewRejected('hash_conflict');
      Object.assign(target, {
        title: view.title,
        blocks: assignBlockIds(view.blocks),
        close: view.close ?? null,
        submit: view.submit ?? null,
        private_metadata: view.private_metadata ?? '',
        callback_id: view.callback_id ?? '',
        clear_on_close: view.clear_on_close ?? false,
        notify_on_close: view.notify_on_close ?? false,
        external_id: view.external_id ?? target.external_id,
        hash: newHash(),
        errors: undefined,
      });
      return target;
    },
    get: (viewId) => views.get(viewId),
    all: () => [...views.values()],
    close(viewId, opts) {
      const target = views.get(viewId);
      if (!target) return [];
      const closing = opts?.all ? stackOf(target.user).filter((v) => v.root_view_id === target.root_view_id) : [target];
      for (const v of closing) v.open = false;
      return closing;
    },
  };
}

/** The view as Slack sends it, without the stand-in's bookkeeping. */
export function toViewObject(view: StoredView): SlackViewObject {
  const { user: _user, open: _open, errors: _errors, ...object } = view;
  return object;
}
