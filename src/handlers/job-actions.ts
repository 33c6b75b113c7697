// The buttons on a request's thread messages (src/slack/blocks/job-buttons.ts): Cancel on a running
// job's status line, Re-run on a job's final reply, Retry deploy on a failed deploy's final reply.
//
// A button's value is a request id and nothing else is trusted: the request is read back from the store
// (what was asked, in which channel, its job), and it must be of the button's kind and live in the
// channel the click came from, or the click is refused as if the request did not exist (a forged or
// replayed value learns nothing). The clicker then goes through exactly what the typed command asks:
// Cancel through the cancel path (BATCH_SCORE_CANCELERS, pre-flight, intake), Re-run through a run's
// (runners, where the bot can post, open-request caps, pre-flight, approval rules), Retry deploy through
// the deploy form (deployers; the submission is checked like any other). All of it happens in the
// workspace the stored request is for (its profile), whatever the clicking channel is bound to.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { mayRequest, type Action } from '../domain/approval-policy';
import { rerunSpec } from '../domain/rerun-spec';
import { JOB_ACTIONS } from '../slack/blocks/job-buttons';
import { buildDeployModal } from '../slack/modals/deploy-modal';
import { requestIdSchema, type Requester } from '../queue/payloads';
import type { RequestKind, RequestRecord } from '../queue/request-store';
import { workRequestSchema } from '../queue/work-request';
import type { BotDeps } from './bot-deps';
import { askToCancel } from './cancel-request';
import { refusalToReport } from './conversation-access';
import { earlyRefusal } from './early-refusal';
import { checkingReply, intakeReply, userGroupFailureReply } from './intake-replies';
import { requestIdFrom } from './request-id';
import { UserGroupLookupFailed, userGroupIds } from './user-groups';
import { depsInWorkspace, labelOf, labelledText, profileOf, requesterIn, workspaceNamed, type BotWorkspace } from './bot-workspaces';

type Click = BlockAction<ButtonAction>;
type Reply = (text: string) => Promise<void>;
type OpenView = (view: ReturnType<typeof buildDeployModal>) => Promise<void>;

const GONE = 'This button no longer leads anywhere (the bot does not remember that request); use the command instead.';

function clickChannel(body: Click): string | undefined {
  return body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
}

function clicker(body: Click, channelId: string): Requester {
  const teamId = body.team?.id ?? body.user.team_id ?? '';
  return { userId: body.user.id, teamId, channelId, ...(body.user.name ? { userName: body.user.name } : {}) };
}

/**
 * The stored request the button names, when it is of `kind` and lives in the click's channel, with the
 * workspace it is for (the stored request's profile, not the channel's) and the listeners' view of it.
 */
async function requestOfClick(
  botDeps: BotDeps,
  body: Click,
  kind: RequestKind,
): Promise<{ record: RequestRecord; requester: Requester; deps: BotDeps; workspace: BotWorkspace } | undefined> {
  const channelId = clickChannel(body);
  const id = requestIdSchema.safeParse(body.actions[0]?.value);
  if (!channelId || !id.success) return undefined;
  const record = await botDeps.intake.requests.get(id.data);
  if (!record || record.kind !== kind || record.channel !== channelId) return undefined;
  // A request for a profile that is no longer configured leads nowhere either.
  const workspace = workspaceNamed(botDeps, record.requester.profile);
  if (!workspace) return undefined;
  return { record, requester: requesterIn(botDeps, clicker(body, channelId), workspace), deps: depsInWorkspace(botDeps, workspace), workspace };
}

/** Runners, deployers, the allowed channels and workspace: what the typed command checks first. */
async function askRefusal(deps: BotDeps, requestId: string, requester: Requester, action: Action): Promise<string | undefined> {
  const groups = await deps.userGroups.groupsOf(requester.userId, userGroupIds([deps.policy.deployers, deps.policy.runners]));
  const allowed = mayRequest(deps.policy, { action, userId: requester.userId, userGroups: groups, channelId: requester.channelId, teamId: requester.teamId });
  if (!allowed.ok) {
    await deps.intake.audit.record({ type: 'denied', requestId, actor: requester.userId, action, detail: { reason: allowed.reason } });
    return `:no_entry: ${allowed.message}`;
  }
  return refusalToReport(deps, requester.channelId, action);
}

export async function handleCancelClick(botDeps: BotDeps, body: Click, replyPlain: Reply): Promise<void> {
  const found = await requestOfClick(botDeps, body, 'run');
  if (!found) return replyPlain(`:no_entry: ${GONE}`);
  const { record, requester, deps, workspace } = found;
  const reply: Reply = (text) => replyPlain(labelledText(text, workspace));
  if (!record.jobName) return reply(':hourglass_flowing_sand: This run has no scoring job yet; nothing to cancel.');
  const requestId = requestIdFrom('action', body.trigger_id);
  const early = await earlyRefusal(deps, { kind: 'command', command: { verb: 'cancel', jobName: record.jobName } }, requester);
  if (early) return reply(`:no_entry: ${early.message} Nothing was started.`);
  await reply(await askToCancel(deps, { requestId, requester, jobName: record.jobName, ...(body.response_url ? { responseUrl: body.response_url } : {}) }));
}

export async function handleRerunClick(botDeps: BotDeps, body: Click, replyPlain: Reply): Promise<void> {
  const found = await requestOfClick(botDeps, body, 'run');
  if (!found) return replyPlain(`:no_entry: ${GONE}`);
  const { record, requester, deps, workspace } = found;
  const reply: Reply = (text) => replyPlain(labelledText(text, workspace));
  const requestId = requestIdFrom('action', body.trigger_id);
  const refusal = await askRefusal(deps, requestId, requester, 'run');
  if (refusal) return reply(refusal);
  const stored = workRequestSchema.safeParse(record.work);
  if (!stored.success || stored.data.kind !== 'run') {
    return reply(':no_entry: The bot does not have what this run asked for any more; start it again with `run <endpoint> <input>`.');
  }
  // A new output for the new job: the old one exists, and batch scoring never overwrites.
  const spec = rerunSpec(stored.data.spec, requestId.slice(1, 13));
  const early = await earlyRefusal(deps, { kind: 'run', spec }, requester);
  if (early) return reply(`:no_entry: ${early.message} Nothing was started.`);
  const check = await deps.producers.preflight({ requestId, requester, work: { kind: 'run', spec }, ...(body.response_url ? { responseUrl: body.response_url } : {}) });
  await reply(check.duplicate ? intakeReply({ kind: 'duplicate', requestId }) : checkingReply(requestId));
}

export async function handleRetryDeployClick(botDeps: BotDeps, body: Click, replyPlain: Reply, openView: OpenView): Promise<void> {
  const found = await requestOfClick(botDeps, body, 'deploy');
  if (!found) return replyPlain(`:no_entry: ${GONE}`);
  const { record, requester, deps, workspace } = found;
  const reply: Reply = (text) => replyPlain(labelledText(text, workspace));
  const refusal = await askRefusal(deps, requestIdFrom('action', body.trigger_id), requester, 'deploy');
  if (refusal) return reply(refusal);
  // Validated again on the way out of the store: the form is filled only with a deploy spec that parses.
  const stored = workRequestSchema.safeParse(record.work);
  if (!stored.success || stored.data.kind !== 'deploy') {
    return reply(':no_entry: The bot does not have what this deploy asked for any more; open the form again with `deploy`.');
  }
  const endpoints = await deps.endpoints.list();
  // The form is the clicker's: its submission is checked (who, where, what) like any other deploy form.
  await openView(
    buildDeployModal({
      defaults: stored.data.spec,
      endpoints: endpoints.map((e) => e.name),
      privateMetadata: { channelId: requester.channelId, requesterId: requester.userId, ...(requester.teamId ? { teamId: requester.teamId } : {}), ...profileOf(requester) },
      ...labelOf(workspace),
    }),
  );
}

export function registerJobActions(app: App, deps: BotDeps): void {
  const handlers = [
    [JOB_ACTIONS.cancel, handleCancelClick],
    [JOB_ACTIONS.rerun, handleRerunClick],
    [JOB_ACTIONS.retryDeploy, handleRetryDeployClick],
  ] as const;
  for (const [actionId, handle] of handlers) {
    app.action<Click>(actionId, async ({ ack, body, respond, client }) => {
      await ack();
      const reply: Reply = (text) => respond({ response_type: 'ephemeral', replace_original: false, text }).then(() => undefined);
      // The click's own trigger_id opens the form (valid for 3 seconds after the click).
      const openView: OpenView = (view) => client.views.open({ trigger_id: body.trigger_id, view }).then(() => undefined);
      try {
        await handle(deps, body, reply, openView);
      } catch (err) {
        if (err instanceof UserGroupLookupFailed) {
          await reply(userGroupFailureReply(err.reason, 'started'));
          return;
        }
        deps.logger.error({ err, user: body.user.id, action: actionId }, 'could not take the button click');
        await reply(':warning: The bot could not take this click right now; nothing was started. Please try again in a minute.');
      }
    });
  }
}
