// Block Kit as a person reads it, in plain text: for the demo's channel transcript and the interactive
// console. Pure functions. mrkdwn is lightly decoded: Slack's escapes (&amp; &lt; &gt;) become the
// characters, and the special forms (<@U…>, <#C…|name>, <!here>, <!subteam^S…|@handle>,
// <url|label>, <!date^…|fallback>) become what Slack would display (Slack's "Formatting text" docs).

export interface RenderOptions {
  /** user id → display name, for <@U…> mentions and message authors. */
  users?: Record<string, string>;
  /** channel id → name, for <#C…> links. */
  channels?: Record<string, string>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function decodeMrkdwn(text: string, opts: RenderOptions = {}): string {
  const special = text.replace(/<([^<>]+)>/g, (_whole, inner: string) => {
    const [target = '', label] = inner.split('|', 2);
    if (target.startsWith('@')) return `@${label ?? opts.users?.[target.slice(1)] ?? target.slice(1)}`;
    if (target.startsWith('#')) return `#${label ?? opts.channels?.[target.slice(1)] ?? target.slice(1)}`;
    if (target.startsWith('!subteam^')) return label ?? `@${target.slice('!subteam^'.length)}`;
    if (target.startsWith('!date^')) return label ?? target;
    if (target.startsWith('!')) return `@${target.slice(1)}`;
    return label !== undefined ? `${label} (${target})` : target;
  });
  return special.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function textOf(obj: unknown, opts: RenderOptions): string {
  if (!isObject(obj) || typeof obj.text !== 'string') return '';
  return obj.type === 'mrkdwn' ? decodeMrkdwn(obj.text, opts) : obj.text;
}

function richText(el: unknown, opts: RenderOptions): string {
  if (!isObject(el)) return '';
  if (typeof el.text === 'string') return el.text;
  if (el.type === 'user' && typeof el.user_id === 'string') return `@${opts.users?.[el.user_id] ?? el.user_id}`;
  if (el.type === 'channel' && typeof el.channel_id === 'string') return `#${opts.channels?.[el.channel_id] ?? el.channel_id}`;
  if (el.type === 'link' && typeof el.url === 'string') return el.url;
  if (Array.isArray(el.elements)) {
    const sep = el.type === 'rich_text_list' ? '\n• ' : el.type === 'rich_text' ? '\n' : '';
    return (el.type === 'rich_text_list' ? '• ' : '') + el.elements.map((e) => richText(e, opts)).join(sep);
  }
  return '';
}

/** An interactive element as a control: buttons as [Label], selects as [placeholder ▾]. */
function control(el: unknown, opts: RenderOptions): string {
  if (!isObject(el)) return '';
  switch (el.type) {
    case 'button':
      return `[${textOf(el.text, opts)}]`;
    case 'overflow':
      return '[…]';
    case 'datepicker':
      return `[${typeof el.initial_date === 'string' ? el.initial_date : 'pick a date'} ▾]`;
    default: {
      const initial = isObject(el.initial_option) ? textOf(el.initial_option.text, opts) : '';
      return `[${initial || textOf(el.placeholder, opts) || String(el.type)} ▾]`;
    }
  }
}

function inputValue(el: unknown, opts: RenderOptions): string {
  if (!isObject(el)) return '____';
  if (typeof el.initial_value === 'string' && el.initial_value !== '') return el.initial_value;
  if (isObject(el.initial_option)) return textOf(el.initial_option.text, opts);
  if (Array.isArray(el.initial_options) && el.initial_options.length) {
    return el.initial_options.map((o) => (isObject(o) ? textOf(o.text, opts) : '')).join(', ');
  }
  return '____';
}

function optionList(el: unknown, opts: RenderOptions): string {
  if (!isObject(el) || !Array.isArray(el.options)) return '';
  return ` {${el.options.map((o) => (isObject(o) ? `${textOf(o.text, opts)}=${String(o.value)}` : '')).join(', ')}}`;
}

function renderBlocks(blocks: unknown[], opts: RenderOptions, errors: Record<string, string> = {}): string[] {
  const lines: string[] = [];
  let inputNumber = 0;
  for (const block of blocks.filter(isObject)) {
    switch (block.type) {
      case 'header':
        lines.push(`## ${textOf(block.text, opts)}`);
        break;
      case 'section': {
        const accessory = block.accessory !== undefined ? ` ${control(block.accessory, opts)}` : '';
        const text = textOf(block.text, opts);
        if (text || accessory) lines.push(`${text}${accessory}`);
        if (Array.isArray(block.fields)) for (const f of block.fields) lines.push(`  ${textOf(f, opts).replace(/\n/g, ' ')}`);
        break;
      }
      case 'context':
        if (Array.isArray(block.elements)) {
          lines.push(
            `  ${block.elements
              .map((e) => (isObject(e) && e.type === 'image' ? `[${String(e.alt_text)}]` : textOf(e, opts)))
              .join(' · ')}`,
          );
        }
        break;
      case 'divider':
        lines.push('────────────────────');
        break;
      case 'actions':
        if (Array.isArray(block.elements)) lines.push(block.elements.map((e) => control(e, opts)).join(' '));
        break;
      case 'image':
        lines.push(`[image: ${String(block.alt_text ?? '')}]`);
        break;
      case 'input': {
        inputNumber += 1;
        const optional = block.optional === true ? ' (optional)' : '';
        lines.push(
          `${inputNumber}. ${textOf(block.label, opts)}${optional}: ${inputValue(block.element, opts)} (${String(block.block_id)})${optionList(block.element, opts)}`,
        );
        if (isObject(block.hint)) lines.push(`   ${textOf(block.hint, opts)}`);
        const error = typeof block.block_id === 'string' ? errors[block.block_id] : undefined;
        if (error) lines.push(`   ⚠ ${error}`);
        break;
      }
      case 'markdown':
        lines.push(typeof block.text === 'string' ? block.text : '');
        break;
      case 'rich_text':
        lines.push(richText(block, opts));
        break;
      default:
        lines.push(`[${String(block.type)}]`);
    }
  }
  return lines;
}

export interface RenderableMessage {
  text: string;
  blocks?: unknown[];
  user?: string;
  ts?: string;
  ephemeralTo?: string;
  edited?: unknown;
}

/** A message as a person reads it: its blocks when it has them, else its text. */
export function renderMessage(msg: RenderableMessage, opts: RenderOptions = {}): string {
  const body = msg.blocks && msg.blocks.length ? renderBlocks(msg.blocks, opts) : [decodeMrkdwn(msg.text, opts)];
  const author = msg.user !== undefined ? (opts.users?.[msg.user] ?? msg.user) : undefined;
  const heading = [
    author,
    msg.ephemeralTo !== undefined ? `(only visible to ${opts.users?.[msg.ephemeralTo] ?? msg.ephemeralTo})` : undefined,
    msg.edited ? '(edited)' : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  return [heading ? `${heading}:` : undefined, ...body].filter((l) => l !== undefined).join('\n');
}

export interface RenderableView {
  title: { text: string };
  blocks: unknown[];
  submit?: { text: string } | null;
  close?: { text: string } | null;
  errors?: Record<string, string>;
}

/** A modal as a person sees it, inputs numbered for the interactive console. */
export function renderView(view: RenderableView, opts: RenderOptions = {}): string {
  const buttons = [view.close ? `[${view.close.text}]` : '[Cancel]', view.submit ? `[${view.submit.text}]` : undefined]
    .filter(Boolean)
    .join(' ');
  return [`┌ ${view.title.text}`, ...renderBlocks(view.blocks, opts, view.errors).map((l) => `│ ${l}`), `└ ${buttons}`].join('\n');
}
