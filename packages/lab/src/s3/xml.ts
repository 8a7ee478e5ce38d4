// The little XML S3 needs: escaped elements out, and tag values read back from simple request bodies.
import { escapeXml as esc } from '../core.js';

export type Node = string | number | boolean | undefined | null | Node[] | { [tag: string]: Node };

/** Renders `{Tag: value}` objects; arrays repeat their parent tag. */
export function xml(root: string, body: Node): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${render(body)}</${root}>`;
}

function render(n: Node): string {
  if (n === undefined || n === null) return '';
  if (typeof n !== 'object') return esc(String(n));
  if (Array.isArray(n)) return n.map(render).join('');
  let out = '';
  for (const [tag, v] of Object.entries(n)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) out += `<${tag}>${render(item)}</${tag}>`;
    else out += `<${tag}>${render(v)}</${tag}>`;
  }
  return out;
}

const unesc = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Inner text of every `<tag>` (namespace prefixes ignored). */
export function tags(body: string, tag: string): string[] {
  const re = new RegExp(`<(?:\\w+:)?${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:\\w+:)?${tag}>`, 'g');
  const out: string[] = [];
  for (const m of body.matchAll(re)) out.push(unesc(m[1]!.trim()));
  return out;
}

export const tag = (body: string, name: string): string | undefined => tags(body, name)[0];
