// `/batch-score …`: parse, check who may ask, then answer at once. The answer is the slash command's
// acknowledgement itself (an ephemeral message), so the user hears back within Slack's 3 seconds;
// anything that needs Azure is enqueued and reported later (look-ups via response_url, changes in a
// thread). Modals are opened right after the acknowledgement, while the trigger_id is still valid.
import type { App, RespondArguments, SlashCommand } from '@slack/bolt';
import { actionOf, mayRequest } from '../domain/approval-policy';
import { parseCommand, type Command, type CommandOf, type Verb } from '../domain/command-grammar';
import { message, section, type SlackMessage } from '../slack/blocks/block-kit';
import { buildHelpMessage } from '../slack/blocks/help-message';
import { workspacesOfChannel } from '../domain/workspace-binding';
import { buildParseErrorMessage } from '../slack/blocks/parse-error-message';
import { buildDeployModal } from '../slack/modals/deploy-modal';
import { buildRunModal } from '../slack/modals/run-modal';
import type { Requester } from '../queue/payloads';
import type { WorkRequest } from '../queue/work-request';
import type { BotDeps } from './bot-deps';
import { refusalToReport } from './conversation-access';
import { checkingReply, intakeReply, unavailableReply, userGroupFailureReply } from './intake-replies';
import { handleLockCommand } from './lock-commands';
import { lockRefusalFor } from '../queue/lock-guard';
import { requestIdFrom } from './request-id';
import { submitWork } from './request-intake';
import { askToCancel } from './cancel-request';
import { earlyRefusal } from './early-refusal';
import { UserGroupLookupFailed, userGroupIds } from './user-groups';
import { logRequestFailure } from './request-failure-log';
import { depsInWorkspace, labelOf, labelledResponse, profileOf, requesterIn, workspaceForChannel, type BotWorkspace, type WorkspaceOfRequest } from './bot-workspaces';

type Ack = (response?: string | RespondArguments) => Promise<void>;
type OpenView = (view: Parameters<App['client']['views']['open']>[0]['view']) => Promise<void>;

function ephemeral(msg: SlackMessage): RespondArguments {
  return { response_type: 'ephemeral', text: msg.text, blocks: msg.blocks };
}

function textReply(text: string): RespondArguments {
  return ephemeral(message(text, [section(text)]));
}

export function requesterOf(command: SlashCommand): Requester {
  return { userId: command.user_id, teamId: command.team_id, channelId: command.channel_id, userName: command.user_name };
}

export function registerSlashCommand(app: App, deps: BotDeps): void {
  app.command(deps.commandName, async ({ command, ack, client }) => {
    await handleSlashCommand(deps, command, ack as Ack, (view) => client.views.open({ trigger_id: command.trigger_id, view }).then(() => undefined));
  });
}

export async function handleSlashCommand(
  botDeps: BotDeps,
  command: SlashCommand,
  ack: Ack,
  openView: OpenView,
): Promise<void> {
  const log = botDeps.logger.child({ user: command.user_id, channel: command.channel_id, trigger: command.trigger_id.slice(0, 12) });
  const parsed = parseCommand(command.text ?? '');
  if (!parsed.ok) {
    await ack(ephemeral(buildParseErrorMessage(parsed.error, { commandName: botDeps.commandName })));
    return;
  }
  const cmd: Command = parsed.command;
  const requestId = requestIdFrom('slash', command.trigger_id);
  // Which workspace the command is for: help is for none; everything else for exactly one, or refused.
  const chosen: WorkspaceOfRequest | undefined =
    cmd.verb === 'help' ? undefined : workspaceForChannel(botDeps, { channelId: command.channel_id, ...(parsed.workspace !== undefined ? { asked: parsed.workspace } : {}) });
  const workspace = chosen?.ok ? chosen.workspace : undefined;
  let acked = false;
  // Every answer from here on names the workspace (when there are several).
  const answer: Ack = async (response) => {
    acked = true;
    await ack(labelledResponse(response, workspace));
  };
  if (chosen && !chosen.ok) {
    log.info({ verb: cmd.verb, reason: chosen.reason, asked: parsed.workspace }, 'refused a command for a workspace this channel may not use');
    await answer(textReply(`:no_entry: ${chosen.message}`));
    return;
  }
  const deps = workspace ? depsInWorkspace(botDeps, workspace) : botDeps;
  const requester = workspace ? requesterIn(botDeps, requesterOf(command), workspace) : requesterOf(command);

  // Started now, alongside the user-group look-up: both are Slack round trips inside the 3-second ack.
  const refusalHere = slashVerb(cmd).reportsInConversation(cmd) ? refusalToReport(deps, command.channel_id, actionOf(cmd)) : Promise.resolve(undefined);
  refusalHere.catch(() => undefined);
  try {
    const groups = await deps.userGroups.groupsOf(command.user_id, userGroupIds([deps.policy.deployers, deps.policy.runners]));
    const allowed = mayRequest(deps.policy, {
      action: actionOf(cmd),
      userId: command.user_id,
      userGroups: groups,
      channelId: command.channel_id,
      teamId: command.team_id,
    });
    if (!allowed.ok) {
      await deps.intake.audit.record({ type: 'denied', requestId, actor: command.user_id, action: cmd.verb, detail: { reason: allowed.reason } });
      await answer(textReply(`:no_entry: ${allowed.message}`));
      return;
    }

    // Deploys, runs and changes report in a thread of this conversation (and gated ones ask approvers
    // there): refuse them now, in the acknowledgement, if the bot cannot post here.
    {
      const refusal = await refusalHere;
      if (refusal) {
        log.info({ verb: cmd.verb }, 'refused a request from a conversation the bot cannot post in');
        await answer(textReply(refusal));
        return;
      }
    }

    // Refusals that need no Azure (another workspace, too many open requests) come at once, before any check.
    const early = await earlyRefusal(deps, slashVerb(cmd).work(cmd), requester);
    if (early) {
      await deps.intake.audit.record({ type: 'denied', requestId, actor: command.user_id, action: cmd.verb, detail: { reason: early.reason } });
      await answer(textReply(`:no_entry: ${early.message} Nothing was started.`));
      return;
    }

    await slashVerb(cmd).answer({ deps, command, requester, requestId, answer, openView, ...(workspace ? { workspace } : {}) }, cmd);
  } catch (err) {
    // After the acknowledgement (a modal that would not open) Slack takes no second answer.
    if (err instanceof UserGroupLookupFailed) {
      if (!acked) await ack(textReply(userGroupFailureReply(err.reason, 'started')));
      return;
    }
    logRequestFailure(deps, log, err, 'could not take the slash command');
    if (!acked) await ack(textReply(unavailableReply()));
  }
}

interface SlashContext {
  deps: BotDeps;
  command: SlashCommand;
  requester: Requester;
  requestId: string;
  answer: Ack;
  openView: OpenView;
  /** The workspace the command is for (every verb but help). */
  workspace?: BotWorkspace;
}

/** What the slash command does with one verb, once the asker is allowed and nothing refused it early. */
interface SlashVerb<V extends Verb> {
  /**
   * Whether the request reports in this conversation (a thread here, approvers asked here), so it is refused
   * at once where the bot cannot post. Look-ups answer through the response_url, help and locks in the
   * acknowledgement: both work in any conversation.
   */
  reportsInConversation(cmd: CommandOf<V>): boolean;
  /** The request the command starts, if it starts one: it is refused at once past the caps or outside the workspace. */
  work(cmd: CommandOf<V>): WorkRequest | undefined;
  answer(ctx: SlashContext, cmd: CommandOf<V>): Promise<void>;
}

const always = (): boolean => true;
const never = (): boolean => false;
const noWork = (): undefined => undefined;
/** A change the ops worker applies, carried as the command itself. */
const commandWork = (command: Command): WorkRequest => ({ kind: 'command', command });

/** A look-up: the ops worker asks Azure and answers through the response_url. */
const lookUp: SlashVerb<'status' | 'jobs' | 'endpoints' | 'show'> = {
  reportsInConversation: never,
  work: noWork,
  answer: async ({ deps, requestId, requester, command, answer }, cmd) => {
    await deps.producers.ops({ requestId, requester, command: cmd, responseUrl: command.response_url });
    await answer(textReply(':mag: Looking that up in Azure ML…'));
  },
};

const lockOrUnlock: SlashVerb<'lock' | 'unlock'> = {
  reportsInConversation: never,
  work: noWork,
  answer: async ({ deps, command, requestId, answer }, cmd) => {
    const answerOf = await handleLockCommand(
      { policy: deps.policy, locks: deps.locks, audit: deps.intake.audit },
      { command: cmd, requestId, userId: command.user_id, userGroups: await deps.userGroups.groupsOf(command.user_id, userGroupIds([deps.policy.approvers, deps.policy.deployers])) },
    );
    await answer({ response_type: answerOf.visibility, text: answerOf.message.text, blocks: answerOf.message.blocks });
  },
};

/** set-default and delete: refused at once on a locked endpoint, else checked with Azure before queueing. */
const endpointChange: SlashVerb<'set-default' | 'delete'> = {
  reportsInConversation: always,
  work: commandWork,
  answer: async ({ deps, command, requestId, requester, answer }, cmd) => {
    // A locked endpoint refuses at once and privately; nothing is recorded as a request.
    const refusal = await lockRefusalFor(deps.locks, cmd.verb, cmd.endpointName);
    if (refusal) {
      await deps.intake.audit.record({ type: 'denied', requestId, actor: command.user_id, action: cmd.verb, detail: { reason: 'endpoint-locked', endpoint: cmd.endpointName } });
      await answer(ephemeral(refusal));
      return;
    }
    const check = await deps.producers.preflight({ requestId, requester, work: commandWork(cmd), responseUrl: command.response_url });
    await answer(textReply(check.duplicate ? intakeReply({ kind: 'duplicate', requestId }) : checkingReply(requestId)));
  },
};

/** One entry per verb: a verb without one does not compile. */
const SLASH_VERBS: { readonly [V in Verb]: SlashVerb<V> } = {
  help: {
    reportsInConversation: never,
    work: noWork,
    answer: async ({ deps, answer, requester }, cmd) => {
      const workspaces = { all: deps.workspaces.map((w) => w.name), here: workspacesOfChannel(deps.workspaces, requester.channelId) };
      await answer(ephemeral(buildHelpMessage({ ...(cmd.topic ? { topic: cmd.topic } : {}), commandName: deps.commandName, workspaces })));
    },
  },
  deploy: {
    reportsInConversation: (cmd) => !cmd.specFile,
    // The form's submission starts the request (src/handlers/modal-submissions.ts).
    work: noWork,
    answer: async ({ deps, command, requester, workspace, answer, openView }, cmd) => {
      if (cmd.specFile) {
        await answer(textReply('In Slack, `deploy` opens a form; `--spec <file>` is for the `batch-score` command line.'));
        return;
      }
      const endpoints = await deps.endpoints.list();
      await answer();
      await openView(
        buildDeployModal({
          endpoints: endpoints.map((e) => e.name),
          privateMetadata: { channelId: command.channel_id, requesterId: command.user_id, teamId: command.team_id, ...profileOf(requester) },
          ...labelOf(workspace),
        }),
      );
    },
  },
  run: {
    reportsInConversation: always,
    work: (cmd) => (cmd.spec ? { kind: 'run', spec: cmd.spec } : undefined),
    answer: async ({ deps, command, requestId, requester, workspace, answer, openView }, cmd) => {
      if (!cmd.spec) {
        const endpoints = await deps.endpoints.list();
        await answer();
        await openView(
          buildRunModal({
            endpoints: endpoints.map((e) => e.name),
            deploymentsByEndpoint: Object.fromEntries(endpoints.map((e) => [e.name, e.deployments])),
            privateMetadata: { channelId: command.channel_id, requesterId: command.user_id, teamId: command.team_id, ...profileOf(requester) },
          ...labelOf(workspace),
          }),
        );
        return;
      }
      // Checked with Azure (the endpoint and deployment exist) before it is queued or an approver asked.
      const check = await deps.producers.preflight({ requestId, requester, work: { kind: 'run', spec: cmd.spec }, responseUrl: command.response_url });
      await answer(textReply(check.duplicate ? intakeReply({ kind: 'duplicate', requestId }) : checkingReply(requestId)));
    },
  },
  status: lookUp,
  jobs: lookUp,
  endpoints: lookUp,
  show: lookUp,
  lock: lockOrUnlock,
  unlock: lockOrUnlock,
  'set-default': endpointChange,
  delete: endpointChange,
  cancel: {
    reportsInConversation: always,
    work: commandWork,
    answer: async (ctx, cmd) => {
      const { requestId, requester, command } = ctx;
      await ctx.answer(textReply(await askToCancel(ctx.deps, { requestId, requester, jobName: cmd.jobName, responseUrl: command.response_url })));
    },
  },
  'data-register': {
    reportsInConversation: always,
    work: commandWork,
    answer: async ({ deps, requestId, requester, answer }, cmd) => {
      const outcome = await submitWork(deps.intake, { requestId, requester, work: commandWork(cmd) });
      await answer(textReply(intakeReply(outcome)));
    },
  },
};

/** The entry for a command's verb, typed for any command (the table pairs each verb with its own command). */
function slashVerb(cmd: Command): SlashVerb<Verb> {
  return SLASH_VERBS[cmd.verb] as SlashVerb<Verb>;
}
