/**
 * Pure: which HTTP headers each object is stored with. Rules come from inputs as `glob: value` lines,
 * first match wins; a line without a glob applies to every file. `cache-control: auto` gives each class of
 * file (classify.ts) its Cache-Control where no glob rule matches.
 */
import mime from 'mime';
import picomatch from 'picomatch';
import {
  CLASSIFIER_VERSION,
  type Classification,
  type Classify,
  FILE_CLASSES,
  type FileClass,
  classify,
  isFixedName,
  learnHashShapes,
} from './classify.js';
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
  /** `cache-control: auto`: the Cache-Control of a file no `cacheControl` glob matches, by its class. */
  cacheControlAuto?: AutoCacheControl;
}

/**
 * Everything `auto` derives headers from, so that the rule sets the deploy state records (state.ts) say
 * exactly which header each object got: the value of each class, defaults included (a release that changes
 * a default changes the rule set, and the objects it concerns are rewritten by CopyObject, no HEAD needed),
 * the build's hash shapes (which names with a weak hash count as fingerprinted), and the version of the
 * classifier's own logic (another version cannot be replayed, so its objects are read back by HEAD once,
 * as after a change of HEADER_VERSION).
 */
export interface AutoCacheControl {
  classifier: number;
  values: Record<FileClass, string>;
  shapes: string[];
}

/**
 * `cache-control: auto`, class by class. A year and `immutable` for names that change with their bytes.
 * Pages, feeds and service workers: browsers ask again every time (`max-age=0, must-revalidate`, answered
 * by a 304 when nothing changed), edges keep them 60 s (`s-maxage`), so a deploy is visible everywhere
 * within a minute even without an invalidation, about the time an invalidation itself takes, at the cost of
 * at most one conditional GET to S3 a minute per edge cache serving the page. Everything else (images,
 * fonts, downloads without a hash) 5 minutes, for browsers and edges alike: a changed logo or unhashed
 * stylesheet is seen within 5 minutes by a browser that has it (invalidations do not reach browsers), while
 * the views of one visit still come from the browser's cache.
 */
export const AUTO_CACHE_CONTROL: Readonly<Record<FileClass, string>> = {
  fingerprinted: 'public, max-age=31536000, immutable',
  'entry-point': 'public, max-age=0, s-maxage=60, must-revalidate',
  'service-worker': 'public, max-age=0, s-maxage=60, must-revalidate',
  other: 'public, max-age=300',
};

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
 * values never contain ':', so the first one always ends a glob. `#` starts a comment at the start of a
 * line or after whitespace: YAML keeps comments inside a block scalar (`cache-control: |`), so they reach
 * us. No Cache-Control, Content-Type or Content-Encoding value in use has a '#' after a space, and a glob
 * keeps its '#' when none precedes it (`notes#1.html`); a name with ' #' is matched with `[#]`.
 */
export function parseRules(text: string, inputName: string): GlobRule[] {
  return ruleLines(text, inputName).map((line) => parseRule(line, inputName));
}

/** `content-type` rules: a value that is no media type ('type/subtype') would make browsers download pages. */
export function parseContentTypeRules(text: string, inputName: string): GlobRule[] {
  const rules = parseRules(text, inputName);
  const wrong = rules.find((rule) => !/^[^\s/]+\/[^\s/]+/.test(rule.value));
  if (wrong) {
    throw new Error(
      `Input '${inputName}': '${wrong.value}' (for '${wrong.glob}') is not a media type such as 'text/html' or ` +
        `'application/pdf; charset=utf-8'.`,
    );
  }
  return rules;
}

function ruleLines(text: string, inputName: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => {
      const kept = line.replace(/(^|\s)#.*$/, '').trim();
      // 'release notes #3.pdf: application/pdf' would otherwise become the value 'release notes' for every file.
      if (kept !== '' && !kept.includes(':') && line.slice(kept.length).includes(':')) {
        throw new Error(
          `Input '${inputName}': in the line '${line.trim()}', ' #' starts a comment, which took the ':' and the ` +
            `value with it. To match a name with ' #' in it, write '[#]' in the glob.`,
        );
      }
      return kept;
    })
    .filter((line) => line !== '');
}

function parseRule(line: string, inputName: string): GlobRule {
  const match = /^(.+?):\s*(.+)$/.exec(line);
  const rule = match
    ? { glob: (match[1] as string).trim(), value: (match[2] as string).trim() }
    : { glob: '**', value: line };
  globMatcher(rule.glob, inputName);
  return rule;
}

/**
 * The `cache-control` input: `glob: value` rules, and `auto` on a line of its own, with `auto:<class>: value`
 * lines to change one class. A glob ends at its first ':', so no glob rule can be read as `auto:<class>`.
 */
export function parseCacheControl(
  text: string,
  inputName: string,
): Pick<HeaderRules, 'cacheControl' | 'cacheControlAuto'> {
  const rules: GlobRule[] = [];
  const overrides = new Map<FileClass, string>();
  let auto = false;
  for (const line of ruleLines(text, inputName)) {
    const override = /^auto:\s*([^:\s]*)\s*:\s*(.*)$/.exec(line);
    if (line === 'auto') {
      auto = true;
    } else if (nearlyAuto(line)) {
      // Read as a value, 'Auto' or 'auto,' would become every object's Cache-Control, which browsers and
      // edges ignore: silently no caching policy at all.
      throw new ActionError(
        `Input '${inputName}': the line '${line}' is not 'auto': write 'auto' in lower case, alone on its line (a comment after ' #' is fine), or 'auto:<class>: value' to change one class.`,
      );
    } else if (override) {
      const [, name, value] = override as unknown as [string, string, string];
      if (!FILE_CLASSES.includes(name as FileClass)) {
        throw new ActionError(
          `Input '${inputName}': '${line}' names no class of 'auto'; the classes are ${FILE_CLASSES.join(', ')} (e.g. 'auto:other: public, max-age=3600').`,
        );
      }
      if (value === '') throw new ActionError(`Input '${inputName}': '${line}' gives the class no value.`);
      if (overrides.has(name as FileClass))
        throw new ActionError(`Input '${inputName}': the class '${name}' is given twice.`);
      overrides.set(name as FileClass, value);
    } else {
      const rule = parseRule(line, inputName);
      if (/^auto/i.test(rule.value)) {
        throw new ActionError(
          `Input '${inputName}': '${line}': 'auto' stands alone on its line and applies where no glob rule matches; to change one class, write 'auto:<class>: value'.`,
        );
      }
      rules.push(rule);
    }
  }
  if (overrides.size > 0 && !auto) {
    throw new ActionError(
      `Input '${inputName}': '${[...overrides.keys()].map((name) => `auto:${name}`).join("', '")}' changes a class of 'auto', which is off: add a line 'auto'.`,
    );
  }
  if (!auto) return { cacheControl: rules };
  const everything = rules.find((rule) => rule.glob === '**');
  if (everything) {
    throw new ActionError(
      `Input '${inputName}': '${everything.value}' applies to every file, so 'auto' would never apply. Give it a glob, or drop 'auto'.`,
    );
  }
  const values = Object.fromEntries(
    FILE_CLASSES.map((name) => [name, overrides.get(name) ?? AUTO_CACHE_CONTROL[name]]),
  ) as Record<FileClass, string>;
  return { cacheControl: rules, cacheControlAuto: { classifier: CLASSIFIER_VERSION, values, shapes: [] } };
}

/**
 * A line meant as `auto` or `auto:<class>` but not written so: a value alone that starts with 'auto' in any
 * case ('Auto', 'auto,', 'autos'; no Cache-Control directive does), or `auto:<class>:` in another case or
 * spacing ('Auto:other: ...'; a glob rule's value never holds a ':').
 */
function nearlyAuto(line: string): boolean {
  if (!line.includes(':')) return /^auto/i.test(line);
  return /^auto\s*:[^:]*:/i.test(line) && !line.startsWith('auto:');
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
  const { contentType, encoding } = typeAndEncoding(key, rules);
  const headers: ObjectHeaders = { contentType };
  const auto = rules.cacheControlAuto;
  const cacheControl =
    firstMatch(rules.cacheControl, key) ?? (auto ? auto.values[classOf(auto, key, contentType)] : undefined);
  if (cacheControl) headers.cacheControl = cacheControl;
  if (encoding) headers.contentEncoding = encoding;
  return headers;
}

function typeAndEncoding(key: string, rules: HeaderRules): { contentType: string; encoding: string | undefined } {
  // Content-Encoding only where a rule asks for it: a browser undoes the encoding, so a downloadable
  // data.csv.gz or sitemap.xml.gz would arrive decompressed under its .gz name.
  const encoding = firstMatch(rules.contentEncoding, key);
  const extension = encoding === undefined ? undefined : ENCODING_EXTENSIONS[encoding.toLowerCase()];
  // Served encoded, app.js.gz is JavaScript: its type comes from the name inside.
  const typeFrom = extension && key.endsWith(extension) ? key.slice(0, -extension.length) : key;
  return { contentType: firstMatch(rules.contentType, key) ?? contentTypeFor(typeFrom), encoding };
}

/** Per `auto` rule set: its shapes, and the classes worked out so far (shared with rulesForBuild's classifier). */
const classifiers = new WeakMap<
  AutoCacheControl,
  { shapes: ReadonlySet<string>; classes: Map<string, Classification> }
>();

function classifierFor(auto: AutoCacheControl): { shapes: ReadonlySet<string>; classes: Map<string, Classification> } {
  let classifier = classifiers.get(auto);
  if (!classifier) {
    classifier = { shapes: new Set(auto.shapes), classes: new Map() };
    classifiers.set(auto, classifier);
  }
  return classifier;
}

function classOf(auto: AutoCacheControl, key: string, contentType: string): FileClass {
  const { shapes, classes } = classifierFor(auto);
  let found = classes.get(key);
  if (!found) {
    found = classify(key, contentType, shapes);
    classes.set(key, found);
  }
  return found.fileClass;
}

/**
 * The rules and the classifier for one build: the hash shapes learned from its keys (learnHashShapes) go
 * into `auto`'s rules, so the headers they give stay a function of the key and the rules alone.
 */
export function rulesForBuild(rules: HeaderRules, keys: readonly string[]): { rules: HeaderRules; classify: Classify } {
  const contentType = (key: string) => typeAndEncoding(key, rules).contentType;
  const shapes = learnHashShapes(keys, (key) => isFixedName(key, contentType(key)));
  const built: HeaderRules = rules.cacheControlAuto
    ? { ...rules, cacheControlAuto: { ...rules.cacheControlAuto, shapes } }
    : rules;
  // Every step asks about the same keys (headers, upload order, deletes, the guard, the logs): one answer each.
  const { shapes: known, classes } = built.cacheControlAuto
    ? classifierFor(built.cacheControlAuto)
    : { shapes: new Set(shapes), classes: new Map<string, Classification>() };
  const classifyKey: Classify = (key) => {
    let found = classes.get(key);
    if (!found) {
      found = classify(key, contentType(key), known);
      classes.set(key, found);
    }
    return found;
  };
  return { rules: built, classify: classifyKey };
}

/**
 * Whether the headers these rules gave can be worked out again by this version: not when `auto` derived
 * them with another classifier.
 */
export function headersReproducible(rules: HeaderRules): boolean {
  return rules.cacheControlAuto === undefined || rules.cacheControlAuto.classifier === CLASSIFIER_VERSION;
}

/** Types whose bytes are text: served with a charset so browsers do not guess. */
const TEXT_TYPES =
  /^(text\/|application\/(javascript|json|xml|ld\+json|manifest\+json|rss\+xml|atom\+xml|xhtml\+xml)$|image\/svg\+xml$)/;

/** From the file name (the mime library); .br, which has no registered type, is application/octet-stream. */
export function contentTypeFor(key: string): string {
  const type = mime.getType(key) ?? 'application/octet-stream';
  let contentType = contentTypes.get(type);
  if (contentType === undefined) {
    contentType = TEXT_TYPES.test(type) ? `${type}; charset=utf-8` : type;
    contentTypes.set(type, contentType);
  }
  return contentType;
}
/** One string per type, shared by every file's headers: 20,000 pages held 20,000 copies of it (1.4 MB). */
const contentTypes = new Map<string, string>();

export function sameHeaders(a: ObjectHeaders, b: ObjectHeaders): boolean {
  return (
    a.contentType === b.contentType && a.cacheControl === b.cacheControl && a.contentEncoding === b.contentEncoding
  );
}
