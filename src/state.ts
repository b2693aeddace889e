/**
 * The deploy state: one small object per deployed prefix, kept in the bucket beside the site, holding only
 * what the bucket cannot tell. This module alone reads and writes it.
 *
 * - Which header rule sets the objects may carry (more than one while a rule change is half applied), and
 *   the version of the code that derives headers from rules, so a changed rule or default reaches objects
 *   whose bytes did not change.
 * - Per distribution, the keys whose cached URLs are wrong and not yet covered by a created invalidation:
 *   written before the deploy's first write, cleared only after CreateInvalidation succeeded.
 * - The assets removed from the build and kept for the grace period, with the time their clock started.
 * - For objects whose ETag is not the MD5 of their bytes (SSE-KMS, other stores), the ETag as listed and the
 *   MD5 as written, so an unchanged file is never uploaded again.
 *
 * The distribution serves this object like any other. It names nothing, not even a distribution: keys and
 * distribution ids appear only as digests salted with the bucket and prefix. A deploy finds the names again
 * among the keys it knows (the build and the listing); a pending key it cannot name (a page deleted by a run
 * whose invalidation failed) is covered by a wildcard of the whole prefix.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ActionError } from './errors.js';
import { compareEtag } from './etag.js';
import type { HeaderRules } from './headers.js';
import { type S3Target, encryptionParams } from './s3.js';

/** The state's key under the prefix (the same name the first version's rules manifest had). */
export const STATE_NAME = '.s3-cloudfront-deploy.json';
/** The lock's key under the prefix (see lock.ts). */
export const LOCK_NAME = '.s3-cloudfront-deploy.lock';
/** The action's own objects: never deployed from a build, never deleted as stale. */
export const RESERVED_NAMES: readonly string[] = [STATE_NAME, LOCK_NAME];

/**
 * Bumped whenever the headers an object gets from the same rules change (a new default): objects written
 * under another version have unknown headers, and the next deploy reads them (HEAD) and fixes the wrong ones.
 * 1: the rules manifest (.gz/.br served with Content-Encoding by default). 2: Content-Encoding only by rule.
 */
export const HEADER_VERSION = 2;
const FORMAT = 2;
/** Past this many rule sets in transition, the headers are treated as unknown. */
const MAX_RULE_SETS = 8;

export interface WrittenObject {
  /** The ETag as the listing shows it, unquoted. */
  etag: string;
  /** Hex MD5 of the bytes written. */
  md5: string;
}

export interface DeployState {
  /** Whether the objects' headers follow from `ruleSets`; false without a state or under another version. */
  headersKnown: boolean;
  /** Every rule set an object under the prefix may carry; usually one. */
  ruleSets: HeaderRules[];
  /**
   * Whether this store's ETags are known not to be MD5s (SSE-KMS, SSE-C, other stores): an ETag that
   * differs from the MD5 then says nothing, and content is compared by checksum instead.
   */
  opaqueEtags: boolean;
  /** By key digest: what was written, for objects whose ETag is not their MD5. */
  written: Map<string, WrittenObject>;
  /**
   * By distribution id (for a distribution this deploy does not name, '#' and its digest): the digests of the
   * keys whose cached URLs are wrong; EVERYTHING stands for every key under the prefix.
   */
  pending: Map<string, Set<string>>;
  /** By key digest: when the grace period of a removed asset started (ms since epoch; 0: not yet). */
  removals: Map<string, number>;
  /**
   * While keys are pending: the deploy that last wrote them, for CloudFront's CallerReference. A re-run that
   * writes nothing (a crash after CreateInvalidation) reuses it and gets the same invalidation back.
   */
  deployId?: string;
}

export function emptyState(): DeployState {
  return {
    headersKnown: false,
    ruleSets: [],
    opaqueEtags: false,
    written: new Map(),
    pending: new Map(),
    removals: new Map(),
  };
}

/** The state of a prefix whose every object carries `rules` and that has nothing else to remember. */
export function cleanState(rules: HeaderRules): DeployState {
  return { ...emptyState(), headersKnown: true, ruleSets: [rules] };
}

export function hasPending(state: DeployState): boolean {
  return [...state.pending.values()].some((keys) => keys.size > 0);
}

const stripQuotes = (etag: string) => etag.replace(/"/g, '');

/** Reads and writes the state of one prefix. */
export class StateStore {
  private readonly salt: string;

  /** `distributionIds`: the deploy's, to know their entries among the digests. */
  constructor(
    private readonly target: S3Target,
    private readonly onWarning: (message: string) => void,
    private readonly distributionIds: readonly string[] = [],
  ) {
    this.salt = `${target.bucket}/${target.prefix}`;
  }

  get key(): string {
    return this.target.prefix + STATE_NAME;
  }

  /** A key's name as the state stores it: a digest, salted with the bucket and prefix. */
  digest(key: string): string {
    return createHash('sha256').update(this.salt).update('\0').update(key).digest('base64url').slice(0, 22);
  }

  /**
   * The state as the bucket holds it. The listing shows the state's ETag (the MD5 of its body): when it is the
   * ETag of the clean state for these rules, that is the state and no request is made.
   */
  async read(listedEtag: string | undefined, rules: HeaderRules): Promise<{ state: DeployState; requests: number }> {
    if (listedEtag === undefined) return { state: emptyState(), requests: 0 };
    const clean = cleanState(rules);
    if (stripQuotes(listedEtag) === md5Hex(this.serialize(clean))) return { state: clean, requests: 0 };
    const response = await this.target.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: this.key }));
    const text = (await response.Body?.transformToString()) ?? '';
    return { state: this.parse(text), requests: 1 };
  }

  /**
   * Writes the whole state in one PUT. With `ifMatch` (the ETag this deploy last read or wrote) or, for a
   * first state, If-None-Match: a deploy never overwrites a state it did not see. Returns the new ETag.
   */
  async write(state: DeployState, expected: { etag: string | undefined; conditional: boolean }): Promise<string> {
    const body = this.serialize(state);
    const condition = !expected.conditional
      ? {}
      : expected.etag === undefined
        ? { IfNoneMatch: '*' }
        : { IfMatch: expected.etag };
    try {
      const response = await this.target.client.send(
        new PutObjectCommand({
          Bucket: this.target.bucket,
          Key: this.key,
          Body: body,
          ContentType: 'application/json',
          ContentMD5: createHash('md5').update(body).digest('base64'),
          CacheControl: 'no-store',
          ...encryptionParams(this.target.encryption),
          ...condition,
        }),
      );
      return response.ETag ?? `"${md5Hex(body)}"`;
    } catch (error) {
      if ((error as { name?: string }).name === 'PreconditionFailed') {
        // The SDK retries a write whose answer was lost; the retry's condition then fails on our own write.
        const current = await this.readBody();
        if (current?.text === body) return current.etag;
        throw new ActionError(
          `The deploy state s3://${this.target.bucket}/${this.key} was changed by another deploy while this one held the lock (the store may not honour conditional writes). Nothing more was changed; run the deploy again.`,
        );
      }
      throw error;
    }
  }

  private async readBody(): Promise<{ text: string; etag: string } | undefined> {
    try {
      const response = await this.target.client.send(
        new GetObjectCommand({ Bucket: this.target.bucket, Key: this.key }),
      );
      return { text: (await response.Body?.transformToString()) ?? '', etag: response.ETag ?? '' };
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /** A distribution's name in the state. */
  private distributionDigest(distributionId: string): string {
    return this.digest(`distribution ${distributionId}`);
  }

  async remove(): Promise<void> {
    await this.target.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: this.key }));
  }

  serialize(state: DeployState): string {
    const sorted = <V>(map: Map<string, V>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const body = {
      format: FORMAT,
      headers: state.headersKnown ? HEADER_VERSION : 0,
      rules: state.ruleSets,
      ...(state.opaqueEtags ? { etags: 'opaque' } : {}),
      written: Object.fromEntries(sorted(state.written).map(([digest, w]) => [digest, [w.etag, w.md5]])),
      pending: Object.fromEntries(
        [...state.pending]
          .filter(([, keys]) => keys.size > 0)
          .map(
            ([id, keys]) => [id.startsWith('#') ? id.slice(1) : this.distributionDigest(id), [...keys].sort()] as const,
          )
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
      removed: Object.fromEntries(sorted(state.removals)),
      ...(state.deployId && hasPending(state) ? { deploy: state.deployId } : {}),
    };
    return `${JSON.stringify(body)}\n`;
  }

  parse(text: string): DeployState {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return this.unreadable('is not valid');
    const fields = parsed as Record<string, unknown>;
    // Version 1 was the rules manifest: its objects carry rules under the first header version.
    if (fields.version === 1) return emptyState();
    if (typeof fields.format === 'number' && fields.format > FORMAT) {
      throw new ActionError(
        `The deploy state s3://${this.target.bucket}/${this.key} was written by a newer version of this action (format ${fields.format}); this one would lose what it records. Deploy with that version or a newer one.`,
      );
    }
    if (fields.format !== FORMAT) return this.unreadable(`has format ${String(fields.format)}`);
    const rules = Array.isArray(fields.rules) ? (fields.rules as HeaderRules[]) : [];
    const state: DeployState = {
      headersKnown: fields.headers === HEADER_VERSION && rules.length > 0 && rules.length <= MAX_RULE_SETS,
      ruleSets: rules,
      opaqueEtags: fields.etags === 'opaque',
      written: new Map(),
      pending: new Map(),
      removals: new Map(),
      ...(typeof fields.deploy === 'string' ? { deployId: fields.deploy } : {}),
    };
    for (const [digest, value] of entriesOf(fields.written)) {
      if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string')
        state.written.set(digest, { etag: value[0], md5: value[1] });
    }
    for (const [digest, started] of entriesOf(fields.removed)) {
      if (typeof started === 'number') state.removals.set(digest, started);
    }
    const ids = new Map(this.distributionIds.map((id) => [this.distributionDigest(id), id]));
    for (const [digest, keys] of entriesOf(fields.pending)) {
      const known = Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : [EVERYTHING];
      state.pending.set(ids.get(digest) ?? `#${digest}`, new Set(known));
    }
    return state;
  }

  /**
   * A state this version cannot read: what it held is lost, so every key under the prefix counts as pending
   * (the deploy invalidates the whole prefix once) and the objects' headers as unknown (read once by HEAD).
   */
  private unreadable(why: string): DeployState {
    this.onWarning(
      `The deploy state s3://${this.target.bucket}/${this.key} ${why}; starting afresh, with the whole prefix invalidated once.`,
    );
    return { ...emptyState(), pending: new Map(this.distributionIds.map((id) => [id, new Set([EVERYTHING])])) };
  }
}

function entriesOf(value: unknown): Array<[string, unknown]> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value) : [];
}

/** A pending entry that stands for every key under the prefix. */
export const EVERYTHING = '*';

function md5Hex(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

// Pure transitions, in the order a deploy makes them.

/**
 * Before the first write: what the deploy is about to make wrong at each distribution's edges, and its
 * rules. `deployId` is this deploy's: it replaces the pending keys' deploy when this one writes objects (an
 * invalidation created before those writes must never be returned for them), else only fills a gap.
 */
export function journal(
  state: DeployState,
  change: {
    distributionIds: readonly string[];
    keys: readonly string[];
    rules: HeaderRules;
    deployId: string;
    writesObjects: boolean;
    digest: (key: string) => string;
  },
): DeployState {
  const pending = new Map([...state.pending].map(([id, keys]) => [id, new Set(keys)]));
  for (const id of change.distributionIds) {
    const keys = pending.get(id) ?? new Set<string>();
    for (const key of change.keys) keys.add(change.digest(key));
    pending.set(id, keys);
  }
  const same = (a: HeaderRules) => JSON.stringify(a) === JSON.stringify(change.rules);
  const ruleSets = state.ruleSets.some(same) ? state.ruleSets : [...state.ruleSets, change.rules];
  const deployId = change.writesObjects || !state.deployId ? change.deployId : state.deployId;
  return {
    ...state,
    pending,
    ruleSets,
    headersKnown: state.headersKnown && ruleSets.length <= MAX_RULE_SETS,
    deployId,
  };
}

/** After writes: the catalog follows what was written (and forgets what was deleted). */
export function recordWrites(
  state: DeployState,
  digest: (key: string) => string,
  writes: {
    written: ReadonlyArray<{ key: string; etag: string; md5: string; multipartEtag?: string | undefined }>;
    deleted: readonly string[];
  },
): DeployState {
  const written = new Map(state.written);
  let opaqueEtags = state.opaqueEtags;
  // A key's digest is a SHA-256: made only where an entry may be there to remove (20,000 of them were a
  // burst of garbage at the end of a first deploy, when the catalog was empty).
  const forget = (key: string) => written.size > 0 && written.delete(digest(key));
  for (const object of writes.written) {
    const etag = stripQuotes(object.etag);
    // An ETag that is the MD5 (or the multipart ETag) needs no entry: the listing alone compares it.
    if (compareEtag(etag, object) === 'same') forget(object.key);
    else {
      written.set(digest(object.key), { etag, md5: object.md5 });
      opaqueEtags = true;
    }
  }
  for (const key of writes.deleted) forget(key);
  return { ...state, written, opaqueEtags };
}

/** After CreateInvalidation succeeded on these distributions: their pending keys are covered. */
export function clearPending(state: DeployState, distributionIds: readonly string[]): DeployState {
  const pending = new Map(state.pending);
  for (const id of distributionIds) pending.delete(id);
  const { deployId, ...rest } = state;
  const next = { ...rest, pending };
  return hasPending(next) && deployId ? { ...next, deployId } : next;
}

/**
 * After a deploy whose every write succeeded: the objects carry this deploy's rules, and the grace period of
 * removed assets starts once no invalidation is pending on the deploy's distributions.
 */
export function complete(
  state: DeployState,
  done: { rules: HeaderRules; removals: ReadonlyMap<string, number>; distributionIds: readonly string[]; now: number },
): DeployState {
  const waiting = done.distributionIds.some((id) => (state.pending.get(id)?.size ?? 0) > 0);
  const removals = new Map(
    [...done.removals].map(([digest, started]) => [digest, started === 0 && !waiting ? done.now : started]),
  );
  return { ...state, headersKnown: true, ruleSets: [done.rules], removals };
}

/** Whether writing `after` would change what the bucket holds as `before` (sealing aside). */
export function stateChanged(before: DeployState, after: DeployState): boolean {
  const canonical = (state: DeployState) =>
    JSON.stringify([
      state.headersKnown,
      state.ruleSets,
      state.opaqueEtags,
      [...state.written].sort(),
      [...state.removals].sort(),
      [...state.pending]
        .filter(([, keys]) => keys.size > 0)
        .map(([id, keys]) => [id, [...keys].sort()])
        .sort(),
      // The deploy that wrote the pending keys decides which invalidation a retry gets back.
      hasPending(state) ? (state.deployId ?? '') : '',
    ]);
  return canonical(before) !== canonical(after);
}
