// Deploy and run forms. Bad fields come back inline (`response_action: errors`) and nothing is enqueued;
// a valid form is handed to its pre-flight check (request-preflight.ts) before the form is closed, so if
// the bot cannot take it the user still has the form and is told why.
import type { App, ViewSubmitAction, ViewOutput } from '@slack/bolt';
import { mayRequest, type Action } from '../domain/approval-policy';
import { DEPLOY_FIELDS, DEPLOY_MODAL_CALLBACK_ID, parseDeploySubmission } from '../slack/modals/deploy-modal';
import { RUN_FIELDS, RUN_MODAL_CALLBACK_ID, parseRunSubmission } from '../slack/modals/run-modal';
import type { ModalMetadata } from '../slack/modals/modal-metadata';
import type { WorkRequest } from '../queue/work-request';
import type { BotDeps } from './bot-deps';
import { refusalToReport } from './conversation-access';
import { unavailableReply, userGroupFailureReply } from './intake-replies';
import { requestIdFrom } from './request-id';
import { UserGroupLookupFailed, userGroupIds } from './user-groups';
import { isBlockedBy } from '../domain/endpoint-lock';
import { lockRefusalPlain } from '../slack/blocks/lock-messages';
import { logRequestFailure } from './request-failure-log';
import { depsInWorkspace, requesterIn, workspaceForChannel } from './bot-workspaces';

/** Field errors are plain text: the refusal's code spans lose their backticks. */
const plainText = (mrkdwn: string): string => mrkdwn.replace(/`/g, '');

export type ViewAnswer = { response_action: 'errors'; errors: Record<string, string> } | undefined;

type Parsed = { ok: true; work: WorkRequest; metadata: ModalMetadata } | { ok: false; errors: Record<string, string> };

function parseForm(callbackId: string, view: ViewOutput): Parsed {
  if (callbackId === DEPLOY_MODAL_CALLBACK_ID) {
    const r = parseDeploySubmission(view.state.values, view.private_metadata);
    return r.ok ? { ok: true, work: { kind: 'deploy', spec: r.spec }, metadata: r.metadata } : { ok: false, errors: r.errors as Record<string, string> };
  }
  const r = parseRunSubmission(view.state.values, view.private_metadata);
  return r.ok ? { ok: true, work: { kind: 'run', spec: r.spec }, metadata: r.metadata } : { ok: false, errors: r.errors as Record<string, string> };
}

/** Returns the answer for Slack: undefined closes the form, errors keep it open with messages by field. */
export async function handleFormSubmission(botDeps: BotDeps, body: ViewSubmitAction): Promise<ViewAnswer> {
  const view = body.view;
  const firstField = view.callback_id === DEPLOY_MODAL_CALLBACK_ID ? DEPLOY_FIELDS.endpoint : RUN_FIELDS.endpoint;
  const parsed = parseForm(view.callback_id, view);
  if (!parsed.ok) return { response_action: 'errors', errors: parsed.errors };

  const userId = body.user.id;
  const teamId = body.team?.id ?? body.user.team_id ?? parsed.metadata.teamId ?? '';
  // The form's metadata is network input too: only the person the form was opened for may submit it.
  if (parsed.metadata.requesterId !== userId) {
    return { response_action: 'errors', errors: { [firstField]: 'This form was opened by someone else; run the command again to get your own.' } };
  }
  // The workspace the form was opened for, checked again against the channel's bindings (they may have
  // changed, and the metadata is network input): a form for prod submitted in a dev-only channel is refused.
  const chosen = workspaceForChannel(botDeps, { channelId: parsed.metadata.channelId, ...(parsed.metadata.profile !== undefined ? { asked: parsed.metadata.profile } : {}) });
  if (!chosen.ok) return { response_action: 'errors', errors: { [firstField]: plainText(chosen.message) } };
  const deps = depsInWorkspace(botDeps, chosen.workspace);
  const action: Action = parsed.work.kind === 'deploy' ? 'deploy' : 'run';
  try {
    const groups = await deps.userGroups.groupsOf(userId, userGroupIds([deps.policy.deployers, deps.policy.runners]));
    const allowed = mayRequest(deps.policy, { action, userId, userGroups: groups, channelId: parsed.metadata.channelId, teamId });
    if (!allowed.ok) return { response_action: 'errors', errors: { [firstField]: allowed.message } };
    // Checked when the form was opened too; the bot may have been removed since.
    const refusal = await refusalToReport(deps, parsed.metadata.channelId, action);
    if (refusal) return { response_action: 'errors', errors: { [firstField]: refusal } };
    if (parsed.work.kind === 'deploy') {
      // A locked endpoint refuses the deploy on the form itself (plain text: field errors are not mrkdwn).
      const lock = await deps.locks.get(parsed.work.spec.endpointName);
      if (isBlockedBy(lock, 'deploy')) return { response_action: 'errors', errors: { [firstField]: lockRefusalPlain(lock, 'deploy') } };
    }
    // Checked with Azure first (cluster, assets, folders, endpoint); the verdict reaches the requester as
    // an ephemeral message (a form has no response_url).
    await deps.producers.preflight({
      requestId: requestIdFrom('view', view.id),
      requester: requesterIn(botDeps, { userId, teamId, channelId: parsed.metadata.channelId, ...(body.user.name ? { userName: body.user.name } : {}) }, chosen.workspace),
      work: parsed.work,
    });
    return undefined;
  } catch (err) {
    if (err instanceof UserGroupLookupFailed) return { response_action: 'errors', errors: { [firstField]: userGroupFailureReply(err.reason, 'started') } };
    logRequestFailure(deps, deps.logger, err, 'could not take the form', { user: userId });
    return { response_action: 'errors', errors: { [firstField]: unavailableReply() } };
  }
}

export function registerModalSubmissions(app: App, deps: BotDeps): void {
  for (const callbackId of [DEPLOY_MODAL_CALLBACK_ID, RUN_MODAL_CALLBACK_ID]) {
    app.view<ViewSubmitAction>(callbackId, async ({ ack, body }) => {
      const answer = await handleFormSubmission(deps, body);
      await ack(answer);
    });
  }
}
