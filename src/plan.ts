/**
 * Pure: decides what a deploy does from what is local, what the bucket lists, what the deploy state
 * remembers and, where those cannot tell, what HEAD said. Content decides, never modification times, so a
 * fresh checkout of an unchanged site uploads nothing, on any store.
 */
import type { Classify, FileClass } from './classify.js';
import { compareEtag } from './etag.js';
import { type ObjectHeaders, headersFor, headersReproducible, sameHeaders } from './headers.js';
import type { LocalFile } from './local.js';
import type { RemoteObject } from './remote.js';
import type { DeployState } from './state.js';

export type UploadReason = 'new' | 'changed' | 'unverifiable' | 'forced';

export interface PlannedUpload {
  file: LocalFile;
  reason: UploadReason;
}

/** What HEAD told about an object whose content or headers the listing and the state cannot tell. */
export interface InspectedObject {
  headers: ObjectHeaders;
  /** The full-object CRC64NVME S3 keeps for new uploads (base64), when the store returned one. */
  crc64nvme?: string;
}

export interface PlanInput {
  local: readonly LocalFile[];
  remote: ReadonlyMap<string, RemoteObject>;
  state: DeployState;
  /** The state's name for a key (see StateStore.digest). */
  digest: (key: string) => string;
  inspected?: ReadonlyMap<string, InspectedObject>;
}

export interface PlanOptions {
  delete: boolean;
  force: boolean;
  /** include/exclude: a remote object the selection leaves out is not the deploy's to delete. */
  isSelected?: (key: string) => boolean;
  /**
   * What each key is (classify.ts): entry points and service workers are uploaded last and deleted at once,
   * other files kept for the grace period; a fingerprinted file is never invalidated for its headers alone.
   */
  classify: Classify;
  /** The grace period of removed assets; 0 deletes them with the pages. */
  deleteAfterMs: number;
  /** Deletes of assets whose grace period ended are spread over deploys within this many per deploy. */
  maxDeletes: number;
  /** Distributions this deploy invalidates: a removal's clock waits for their pending invalidations. */
  distributionIds: readonly string[];
  now: number;
  /** Remove everything under the prefix. */
  teardown?: boolean;
}

export interface Plan {
  /** Assets first, then entry points, then service workers: see uploadWaves. */
  uploads: PlannedUpload[];
  /** Same bytes, other headers: rewritten in place (CopyObject), not uploaded. */
  headerUpdates: LocalFile[];
  unchanged: LocalFile[];
  /** Deleted by this deploy: removed entry points, and removed assets whose grace period ended. */
  deletes: string[];
  /** Removed from the build, kept in the bucket during their grace period. */
  kept: string[];
  /** Of those, newly removed by this build. */
  newlyRemoved: string[];
  /** Of the deletes, assets whose grace period ended (scheduled by an earlier deploy). */
  expired: string[];
  /** Grace period over, but past this deploy's share of 'max-deletes': a later deploy deletes them. */
  postponed: string[];
  /** Keys whose cached URLs this deploy makes wrong: overwritten, re-headered, deleted (see changedKeys). */
  invalidate: string[];
  /** The grace schedule after this deploy, by key digest. */
  removals: Map<string, number>;
  /** Objects proven equal by checksum: the state's catalog learns their ETag. */
  learned: Array<{ key: string; etag: string; md5: string }>;
}

type ContentVerdict = 'same' | 'changed' | 'unknown';

function contentVerdict(file: LocalFile, object: RemoteObject, input: PlanInput): ContentVerdict {
  if (object.size !== file.size) return 'changed';
  const etag = object.etag.replace(/"/g, '');
  const written = input.state.written.size > 0 ? input.state.written.get(input.digest(file.key)) : undefined;
  if (written && written.etag === etag) return written.md5 === file.md5 ? 'same' : 'changed';
  const comparison = compareEtag(etag, file);
  if (comparison === 'same') return 'same';
  // On a store whose ETags are not MD5s (SSE-KMS: 32 hex digits all the same), a differing ETag says nothing;
  // nor does it on a prefix this action has no record of yet (it may be such a store): S3's checksum decides.
  const opaque = input.state.opaqueEtags || !input.state.headersKnown;
  return comparison === 'different' && !opaque ? 'changed' : 'unknown';
}

function headersKnownFor(file: LocalFile, state: DeployState): boolean | undefined {
  if (!state.headersKnown || !state.ruleSets.every(headersReproducible)) return undefined;
  return state.ruleSets.every((rules) => sameHeaders(headersFor(file.key, rules), file.headers));
}

/**
 * The keys the listing and the state cannot decide, to HEAD before planning: objects whose ETag cannot be
 * compared (another tool's part size, a store's own ETags) and no catalog entry covers (`content`: compare
 * checksums), and objects with the same bytes whose headers are unknown (no state, or another header version).
 */
export function keysToInspect(
  input: PlanInput,
  options: Pick<PlanOptions, 'force'>,
): { content: string[]; headers: string[] } {
  const content: string[] = [];
  const headers: string[] = [];
  if (options.force) return { content, headers };
  for (const file of input.local) {
    const object = input.remote.get(file.key);
    if (!object) continue;
    const verdict = contentVerdict(file, object, input);
    if (verdict === 'unknown') content.push(file.key);
    else if (verdict === 'same' && headersKnownFor(file, input.state) === undefined) headers.push(file.key);
  }
  return { content, headers };
}

export function planDeploy(input: PlanInput, options: PlanOptions): Plan {
  const uploads: PlannedUpload[] = [];
  const headerUpdates: LocalFile[] = [];
  const unchanged: LocalFile[] = [];
  const learned: Plan['learned'] = [];
  const local = options.teardown ? [] : input.local;

  for (const file of local) {
    const object = input.remote.get(file.key);
    if (options.force || !object) {
      uploads.push({ file, reason: options.force ? 'forced' : 'new' });
      continue;
    }
    const inspected = input.inspected?.get(file.key);
    let verdict = contentVerdict(file, object, input);
    if (verdict === 'unknown' && inspected?.crc64nvme && file.crc64nvme) {
      verdict = inspected.crc64nvme === file.crc64nvme ? 'same' : 'changed';
      if (verdict === 'same') learned.push({ key: file.key, etag: object.etag.replace(/"/g, ''), md5: file.md5 });
    }
    if (verdict !== 'same') {
      uploads.push({ file, reason: verdict === 'changed' ? 'changed' : 'unverifiable' });
      continue;
    }
    // What HEAD saw beats what the rules say the object should carry.
    const headersRight = inspected
      ? sameHeaders(inspected.headers, file.headers)
      : (headersKnownFor(file, input.state) ?? false);
    (headersRight ? unchanged : headerUpdates).push(file);
  }

  const removed = removedKeys(input, options);
  const expired = new Set(removed.expired);
  const fingerprinted = (key: string) => options.classify(key).fileClass === 'fingerprinted';
  return {
    uploads: uploadWaves(uploads, options.classify).flat(),
    headerUpdates,
    unchanged,
    ...removed,
    invalidate: [
      ...uploads.filter((upload) => upload.reason !== 'new').map((upload) => upload.file.key),
      // A fingerprinted name never changes its bytes: an edge copy with the old headers serves the same file,
      // so switching 'cache-control: auto' on does not empty the edges of every hashed asset.
      ...headerUpdates.filter((file) => !fingerprinted(file.key)).map((file) => file.key),
      // An expired fingerprinted asset never changed under its name: its edge copy is harmless, and helps tabs.
      ...removed.deletes.filter((key) => !expired.has(key) || !fingerprinted(key)),
    ],
    learned,
  };
}

/**
 * What happens to objects that are no longer in the build. Entry points go now: a page that is gone must
 * be gone. Assets stay for the grace period, so a page still cached at an edge or open in a browser tab can
 * load them; the period's clock starts once every invalidation is created (see startGraceClocks) and never
 * runs while one is pending.
 */
function removedKeys(
  input: PlanInput,
  options: PlanOptions,
): Pick<Plan, 'deletes' | 'expired' | 'kept' | 'newlyRemoved' | 'postponed' | 'removals'> {
  const localKeys = new Set(input.local.map((file) => file.key));
  const selected = options.isSelected ?? (() => true);
  // A teardown removes the whole prefix: include/exclude select what a deploy writes, not what a teardown leaves.
  const gone = options.teardown
    ? [...input.remote.keys()].sort()
    : [...input.remote.keys()].filter((key) => !localKeys.has(key) && selected(key)).sort();
  const result = {
    deletes: [] as string[],
    kept: [] as string[],
    newlyRemoved: [] as string[],
    postponed: [] as string[],
    expired: [] as string[],
    removals: new Map<string, number>(),
  };
  if (options.teardown) return { ...result, deletes: gone };

  const pendingHere = options.distributionIds.some((id) => (input.state.pending.get(id)?.size ?? 0) > 0);
  const due: string[] = [];
  for (const key of gone) {
    const digest = input.digest(key);
    const started = input.state.removals.get(digest);
    if (!options.delete) {
      // Deletes are off: nothing goes, and a schedule made earlier waits.
      if (started !== undefined) result.removals.set(digest, started);
      continue;
    }
    if (requestedByFixedUrl(options.classify(key).fileClass) || options.deleteAfterMs === 0) {
      result.deletes.push(key);
    } else if (started === undefined) {
      result.newlyRemoved.push(key);
      result.kept.push(key);
      result.removals.set(digest, 0);
    } else if (started > 0 && options.now - started >= options.deleteAfterMs && !pendingHere) {
      due.push(key);
    } else {
      result.kept.push(key);
      result.removals.set(digest, started);
    }
  }
  // Grace periods that ended were approved when they were scheduled: spread them, never fail a deploy.
  const share = Math.max(0, options.maxDeletes - result.deletes.length);
  for (const [index, key] of due.entries()) {
    if (index < share) {
      result.deletes.push(key);
      result.expired.push(key);
    } else {
      result.postponed.push(key);
      result.kept.push(key);
      result.removals.set(input.digest(key), input.state.removals.get(input.digest(key)) ?? 0);
    }
  }
  result.deletes.sort();
  return result;
}

/** The deletes 'max-deletes' weighs: what this build removes (pages now, assets after their grace period). */
export function removalsDecided(plan: Plan): number {
  return plan.deletes.length - plan.expired.length + plan.newlyRemoved.length;
}

/** Pages and service workers are what browsers fetch by their own URL: when gone, they must be gone. */
function requestedByFixedUrl(fileClass: FileClass): boolean {
  return fileClass === 'entry-point' || fileClass === 'service-worker';
}

/**
 * [assets, entry points, service workers]: each wave starts only when the one before has fully succeeded, so
 * a page never goes live before what it links to, and a precaching service worker never lists a file that
 * is not there yet.
 */
export function uploadWaves(
  uploads: readonly PlannedUpload[],
  classify: Classify,
): [PlannedUpload[], PlannedUpload[], PlannedUpload[]] {
  const waves: [PlannedUpload[], PlannedUpload[], PlannedUpload[]] = [[], [], []];
  for (const upload of uploads) {
    const fileClass = classify(upload.file.key).fileClass;
    waves[fileClass === 'service-worker' ? 2 : fileClass === 'entry-point' ? 1 : 0].push(upload);
  }
  return waves;
}

/** Whether a deploy's plan changes anything in the bucket. */
export function plansWrites(plan: Plan): boolean {
  return plan.uploads.length + plan.headerUpdates.length + plan.deletes.length > 0;
}
