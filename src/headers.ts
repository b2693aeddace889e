/**
 * Pure: which HTTP headers each object is stored with. Rules come from inputs as `glob: value` lines,
 * first match wins; a line without a glob applies to every file.
 */
import mime from 'mime';
import picomatch from 'picomatch';
import { ActionError } from './errors.js';

export interface ObjectHeaders {
  contentType: string;
  cacheControl?: string;
  contentEncoding?: string;
}

export interface GlobRule {
  glob: string;
  value: string;
}

export interface HeaderRules {
  cacheControl: GlobRule[];
  contentType: GlobRule[];
  contentEncoding: GlobRule[];
}

export const NO_HEADER_RULES: HeaderRules = { cacheControl: [], contentType: [], contentEncoding: [] };

/** Compiles a glob the way users write them: `*.html` matches at any depth, dot-folders are ordinary. */
export function globMatcher(glob: string, inputName: string): (key: string) => boolean {
  try {
    return picomatch(glob, { dot: true, basename: !glob.includes('/'), strictBrackets: true });
  } catch (error) {
    throw new ActionError(`Input '${inputName}': '${glob}' is not a valid glob (${(error as Error).message}).`);
  }
}

/**
 * Reads `glob: value` lines (the space after ':' is optional); `value` alone means every file. Header
 * values never contain ':', so the first one always ends a glob.
 */
export function parseRules(text: string, inputName: string): GlobRule[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(.+?):\s*(.+)$/.exec(line);
      const rule = match
        ? { glob: (match[1] as string).trim(), value: (match[2] as string).trim() }
        : { glob: '**', value: line };
      globMatcher(rule.glob, inputName);
      return rule;
    });
}

const compiled = new WeakMap<GlobRule, (key: string) => boolean>();

function firstMatch(rules: readonly GlobRule[], key: string): string | undefined {
  for (const rule of rules) {
    let matches = compiled.get(rule);
    if (!matches) {
      matches = globMatcher(rule.glob, 'rules');
      compiled.set(rule, matches);
    }
    if (matches(key)) return rule.value;
  }
  return undefined;
}

/** The name ending that marks a file as holding its inner name's bytes in that encoding. */
const ENCODING_EXTENSIONS: Record<string, string> = { gzip: '.gz', br: '.br' };

export function headersFor(key: string, rules: HeaderRules): ObjectHeaders {
  // Content-Encoding only where a rule asks for it: a browser undoes the encoding, so a downloadable
  // data.csv.gz or sitemap.xml.gz would arrive decompressed under its .gz name.
  const encoding = firstMatch(rules.contentEncoding, key);
  const extension = encoding === undefined ? undefined : ENCODING_EXTENSIONS[encoding.toLowerCase()];
  // Served encoded, app.js.gz is JavaScript: its type comes from the name inside.
  const typeFrom = extension && key.endsWith(extension) ? key.slice(0, -extension.length) : key;
  const headers: ObjectHeaders = { contentType: firstMatch(rules.contentType, key) ?? contentTypeFor(typeFrom) };
  const cacheControl = firstMatch(rules.cacheControl, key);
  if (cacheControl) headers.cacheControl = cacheControl;
  if (encoding) headers.contentEncoding = encoding;
  return headers;
}

/** Types whose bytes are text: served with a charset so browsers do not guess. */
const TEXT_TYPES =
  /^(text\/|application\/(javascript|json|xml|ld\+json|manifest\+json|rss\+xml|atom\+xml|xhtml\+xml)$|image\/svg\+xml$)/;

/** From the file name (the mime library); .br, which has no registered type, is application/octet-stream. */
export function contentTypeFor(key: string): string {
  const type = mime.getType(key) ?? 'application/octet-stream';
  return TEXT_TYPES.test(type) ? `${type}; charset=utf-8` : type;
}

export function sameHeaders(a: ObjectHeaders, b: ObjectHeaders): boolean {
  return (
    a.contentType === b.contentType && a.cacheControl === b.cacheControl && a.contentEncoding === b.contentEncoding
  );
}
