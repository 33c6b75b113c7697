// What a slash command's `text` looks like when Slack sends it, given what the person typed. Slack
// formats it as message text: "&", "<" and ">" become &amp; &lt; &gt; ("Formatting text for app
// surfaces", Escaping text), and links it recognises are sent in its link markup, `<https://…>` for a
// typed URL and `<http://www.x.com|www.x.com>` for a bare www. host (slash command docs: with or without
// "Escape channels, users, and links" links arrive wrapped; the app must undo both).
// Inside the markup the URL's own "&" is escaped too: `<https://a/b?x=1&amp;y=2>`.

/** A typed URL ends at whitespace or "<" / ">"; trailing sentence punctuation is not part of it. */
const URL_LIKE = /(?:https?:\/\/|www\.)[^\s<>]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]'"]+$/;

export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function formatSlashText(typed: string): string {
  let out = '';
  let last = 0;
  for (const match of typed.matchAll(URL_LIKE)) {
    const start = match.index;
    const trailing = match[0].match(TRAILING_PUNCTUATION)?.[0] ?? '';
    const url = match[0].slice(0, match[0].length - trailing.length);
    if (url.length === 0) continue;
    out += escapeSlackText(typed.slice(last, start));
    out += /^www\./i.test(url) ? `<http://${escapeSlackText(url)}|${escapeSlackText(url)}>` : `<${escapeSlackText(url)}>`;
    last = start + url.length;
  }
  return out + escapeSlackText(typed.slice(last));
}
