// The plan on an approval message: a compact section per item (what, name, change) and a changed
// deployment's settings as `field: old → new`. Every name and value is escaped: endpoint, deployment and
// asset names are the user's, live values are Azure's.
import type { SectionBlock } from '@slack/types';
import { changeWord, type ChangePlan, type PlanChange, type PlanItem } from '../../usecases/change-plan';
import { code, escapeMrkdwn } from '../mrkdwn';
import { section } from './block-kit';

const MARKS: Record<PlanChange, string> = {
  create: ':new:',
  reuse: ':recycle:',
  change: ':pencil2:',
  keep: ':white_circle:',
  remove: ':wastebasket:',
  move: ':twisted_rightwards_arrows:',
  running: ':warning:',
};

/** Items shown as sections of their own; the rest share one (a message has at most 50 blocks). */
const MAX_ITEM_SECTIONS = 20;

export function planItemText(item: PlanItem): string {
  const head = `${MARKS[item.change]} *${changeWord(item.change)}* ${escapeMrkdwn(item.what)} ${code(item.name)}`;
  const detail = item.detail ? ` · ${escapeMrkdwn(item.detail)}` : '';
  const diff = (item.diff ?? []).map((d) => `\n      ${escapeMrkdwn(d.field)}: ${code(d.from)} → ${code(d.to)}`).join('');
  return `${head}${detail}${diff}`;
}

export function changePlanBlocks(plan: ChangePlan): SectionBlock[] {
  const shown = plan.items.slice(0, MAX_ITEM_SECTIONS);
  const rest = plan.items.slice(MAX_ITEM_SECTIONS);
  const blocks = [section('*Plan* (against what exists now):'), ...shown.map((item) => section(planItemText(item)))];
  const more = rest.map(planItemText);
  if (plan.omitted > 0) more.push(`… and ${plan.omitted} more`);
  if (more.length > 0) blocks.push(section(more.join('\n')));
  return blocks;
}
