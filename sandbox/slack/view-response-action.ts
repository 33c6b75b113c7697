// What Slack does with the bot's answer to a view_submission (Slack's modal docs, "Responding to view
// submissions"; bolt's ViewResponseAction): no body closes the submitted view (returning to the one
// below it, if pushed); `errors` keeps it open and shows messages under the named input blocks;
// `update` replaces it; `push` stacks a new view; `clear` closes the whole stack.
import { z } from 'zod';
import type { StandInContext } from './stand-in-context';
import { parseModalView, ViewRejected, type StoredView } from './view-store';

export const ViewResponseActionSchema = z.discriminatedUnion('response_action', [
  z.object({ response_action: z.literal('errors'), errors: z.record(z.string(), z.string()) }),
  z.object({ response_action: z.literal('update'), view: z.unknown() }),
  z.object({ response_action: z.literal('push'), view: z.unknown() }),
  z.object({ response_action: z.literal('clear') }),
]);

export type ViewSubmissionOutcome =
  | { kind: 'closed'; views: StoredView[] }
  | { kind: 'errors'; view: StoredView; errors: Record<string, string> }
  | { kind: 'updated'; view: StoredView }
  | { kind: 'pushed'; view: StoredView }
  /** Slack shows the user "We had some trouble connecting" and leaves the modal as it was. */
  | { kind: 'rejected'; reason: string };

const isEmptyAck = (body: unknown) =>
  body === undefined || body === null || body === '' || (typeof body === 'object' && Object.keys(body).length === 0);

export function applyViewResponse(ctx: StandInContext, viewId: string, body: unknown): ViewSubmissionOutcome {
  const view = ctx.views.get(viewId);
  if (!view || !view.open) return { kind: 'rejected', reason: `view ${viewId} is not open` };
  if (isEmptyAck(body)) {
    const views = ctx.views.close(viewId);
    for (const v of views) ctx.emit({ type: 'view_closed', view: v });
    return { kind: 'closed', views };
  }
  const parsed = ViewResponseActionSchema.safeParse(body);
  if (!parsed.success) return { kind: 'rejected', reason: `not a view response action: ${JSON.stringify(body)}` };
  const action = parsed.data;
  try {
    switch (action.response_action) {
      case 'errors': {
        // Slack only accepts errors for input blocks that exist in the view.
        const inputIds = new Set(
          view.blocks.filter((b) => (b as { type?: string }).type === 'input').map((b) => (b as { block_id?: string }).block_id),
        );
        const unknown = Object.keys(action.errors).filter((id) => !inputIds.has(id));
        if (unknown.length) return { kind: 'rejected', reason: `errors name blocks that are not input blocks: ${unknown.join(', ')}` };
        view.errors = action.errors;
        ctx.emit({ type: 'view_errors', view });
        return { kind: 'errors', view, errors: action.errors };
      }
      case 'update': {
        const updated = ctx.views.update({ viewId }, parseModalView(action.view));
        ctx.emit({ type: 'view_updated', view: updated });
        return { kind: 'updated', view: updated };
      }
      case 'push': {
        const pushed = ctx.views.push(parseModalView(action.view), view.user);
        ctx.emit({ type: 'view_pushed', view: pushed });
        return { kind: 'pushed', view: pushed };
      }
      case 'clear': {
        const views = ctx.views.close(viewId, { all: true });
        for (const v of views) ctx.emit({ type: 'view_closed', view: v });
        return { kind: 'closed', views };
      }
    }
  } catch (error) {
    if (error instanceof ViewRejected) return { kind: 'rejected', reason: error.message };
    throw error;
  }
}
