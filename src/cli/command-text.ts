// Shell arguments → the text the command grammar parses. The shell has already split and unquoted the
// words, so each is quoted back only when the grammar would otherwise read it differently: whitespace or
// quotes inside it, a leading dash that macOS-style "smart dashes" turn into "--", or text that looks like
// Slack's link and entity markup, which the grammar decodes (command-grammar.ts, decodeSlackText). The
// quoting itself is the grammar's own (quoteToken), so the two cannot read a word differently.
import { quoteToken as quoted } from '../domain/command-grammar';

const NEEDS_QUOTES = /[\s"'“”„‘’\\]/;

function escapeMarkup(word: string): string {
  return word.replace(/&(?=(amp|lt|gt);)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One argument as grammar text; `--flag=value` keeps the flag bare so the grammar still sees a flag. */
function argumentText(arg: string): string {
  const flag = /^(--[a-zA-Z][a-zA-Z0-9-]*)=(.*)$/s.exec(arg);
  if (flag) {
    const value = flag[2] as string;
    return NEEDS_QUOTES.test(value) || value === '' ? `${flag[1]} ${quoted(value)}` : `${flag[1]}=${escapeMarkup(value)}`;
  }
  // A bare flag stays bare; anything else that starts with a dash but is not a flag is a value.
  if (/^--[a-zA-Z]/.test(arg) && !NEEDS_QUOTES.test(arg)) return arg;
  return quoted(arg);
}

export function commandTextOf(args: readonly string[]): string {
  return args.map(argumentText).join(' ');
}
