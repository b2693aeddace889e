/**
 * The deploy, step by step: inputs -> local scan and remote listing (with the deploy state) -> plan ->
 * lock -> fresh listing and plan -> journal -> upload (assets, then entry points) -> header updates ->
 * deletes -> invalidate -> state -> unlock -> wait -> outputs and summary. The single place where failures
 * become the step's error.
 */
import * as core from '@actions/core';
import { type Applied, applyPlan } from './apply.js';
import { type Cancellation, type Cancelled, CancelledError, watchCancellation } from './cancel.js';
import { type Classification, type Classify, countClasses } from './classify.js';
import { edgePolicyReport } from './edge-cache.js';
import { ActionError, type AwsContext, errorMessage } from './errors.js';
import { formatBytes } from './format.js';
import { checkBrokenBuild, checkDeleteCount, checkEmptySource, checkKeyLengths } from './guards.js';
import { type HeaderRules, type ObjectHeaders, rulesForBuild } from './headers.js';
import { type Settings, parseInputs } from './inputs.js';
import { crc64nvme, headObjects } from './inspect.js';
import type { DistributionInfo } from './cloudfront.js';
import type { CreatedInvalidations, InvalidationTarget } from './invalidate.js';
import { type LocalFile, findFiles, hashFiles, keySelector } from './local.js';
import { type PrefixLock, acquireLock } from './lock.js';
import { currentPhase, phase, translateAwsErrors } from './phase.js';
import { type InspectedObject, type Plan, type PlanInput, keysToInspect, planDeploy } from './plan.js';
import { type RemoteListing, listRemote } from './remote.js';
import { type DeployReport, classesLine, newReport, publishReport, resultLine } from './report.js';
import { currentRun, newDeployId } from './run.js';
import { type S3Target, createS3Client } from './s3.js';
import {
  type DeployState,
  EVERYTHING,
  StateStore,
  clearPending,
  complete,
  journal,
  recordWrites,
  stateChanged,
} from './state.js';
import { EXTRA_REQUESTS_IN_FLIGHT } from './upload.js';

export async function run(): Promise<void> {
  let report: DeployReport | undefined;
  maskCredentials();
  const cancellation = watchCancellation();
  let published: Promise<void> | undefined;
  const publish = (done: DeployReport) =>
    (published ??= publishReport(done).catch((error) =>
      core.warning(`Could not write the job summary: ${errorMessage(error)}`),
    ));
  const fail = (error: unknown) => {
    const message = failureMessage(error, cancellation.cancelled);
    core.setFailed(message);
    // A failure before the report exists (bad input) still gets a summary that says what went wrong.
    report ??= newReport({ bucket: '', prefix: '', dryRun: false });
    const { cancelled } = cancellation;
    report.failure = cancelled
      ? { message, stage: cancelled.phase, cancelled: true }
      : { message, stage: currentPhase() };
    return report;
  };
  // Should the requests in flight outlast the grace period, the run reports what it knows before it ends.
  cancellation.beforeExit(() => publish(report?.failure ? report : fail(new CancelledError(leftInFlight(report)))));
  try {
    const settings = parseInputs((name) => core.getInput(name));
    report = newReport(settings);
    await deploy(settings, report, cancellation);
    // Cancelled once nothing was left to stop (its last writes, its invalidation): deployed, yet not a success.
    cancellation.check('the deploy was complete before it could stop (the writes in flight were its last).');
    core.notice(resultLine(report));
  } catch (error) {
    fail(error);
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack);
  } finally {
    cancellation.stop();
    if (report) await publish(report);
  }
  // What a cancelled run gave up (a read, a wait) may still hold the event loop.
  if (cancellation.cancelled) process.exit(1);
}

/** The step's error; a cancelled run's says so first, with where it was. */
function failureMessage(error: unknown, cancelled: Cancelled | undefined): string {
  const message = errorMessage(error);
  if (!cancelled) return message;
  const cause = `Cancelled (${cancelled.by}) during ${cancelled.phase}`;
  return error instanceof CancelledError ? `${cause}: ${message}` : `${cause}. ${message}`;
}

/** What a run stopped at the end of the grace period left in flight. */
function leftInFlight(report: DeployReport | undefined): string {
  const unanswered = [...(report?.awaitingAnswer.keys() ?? [])];
  if (unanswered.length > 0) {
    return (
      `the files are deployed, but CloudFront had not answered CreateInvalidation on ${unanswered.join(', ')} when ` +
      `the run had to stop: the invalidation probably exists (check the distribution's invalidations), and the ` +
      `changed keys stay pending, so the next deploy invalidates them again.`
    );
  }
  if (report && currentPhase() === 'Invalidate' && report.invalidations.length < report.distributionIds.length) {
    return "the files are deployed, but the run had to stop before CloudFront took every invalidation; each distribution's changed keys without one stay pending, so the next deploy invalidates them.";
  }
  return 'the writes in flight did not finish in time; the run stopped without them. Re-running the workflow finishes the deploy.';
}

/** Everything a deploy knows before it writes: the build, the bucket, the state, and the plan. */
interface Survey {
  files: LocalFile[];
  /** The header rules for this build (with what `auto` learned from it), and the one classifier. */
  rules: HeaderRules;
  classify: Classify;
  listing: RemoteListing;
  state: DeployState;
  inspected: Map<string, InspectedObject>;
  plan: Plan;
  /** Each distribution as GetDistribution describes it, read once before anything is written. */
  distributions: Map<string, DistributionInfo>;
}

/** What a run cancelled before its first write leaves. */
const UNCHANGED = 'nothing was changed.';

export async function deploy(settings: Settings, report: DeployReport, cancellation: Cancellation): Promise<void> {
  const s3 = createTarget(settings);
  const store = new StateStore(s3, core.warning, settings.distributionIds);
  // The plan only reads: a cancelled run gives it up at once.
  let survey = await phase('Plan', () => cancellation.race(surveyDeploy(settings, s3, store), UNCHANGED));
  report.plan = survey.plan;
  report.classes = countClasses(survey.files.map((file) => survey.classify(file.key)));
  // With 'cache-control: auto', the cache policies of the behaviours that serve the bucket (see edge-cache.ts).
  const auto = settings.headerRules.cacheControlAuto;
  if (auto && settings.distributionIds.length > 0 && !settings.teardown) {
    const { readEdgePolicies } = await import('./invalidate.js');
    const policies = await readEdgePolicies(settings, survey.distributions);
    const files = survey.files.map((file) => ({
      key: settings.prefix + file.key,
      fileClass: survey.classify(file.key).fileClass,
    }));
    for (const { level, message } of edgePolicyReport(policies, auto.values, files)) core[level](message);
  }
  const first = settings.distributionIds[0];
  const described = first === undefined ? undefined : survey.distributions.get(first);
  if (described) report.site = { domain: described.domain, originPrefix: described.originPrefixes[0] ?? '' };
  cancellation.check(UNCHANGED);
  if (settings.dryRun) {
    if (settings.distributionIds.length > 0) {
      const { createInvalidations } = await import('./invalidate.js');
      await createInvalidations(
        invalidationTargets(survey, settings, (key) => store.digest(key)),
        settings,
        report,
      );
    }
    return;
  }

  let invalidations: CreatedInvalidations | undefined;
  if (!mustWrite(survey, settings)) {
    // Nothing to write and nothing pending: explicit paths are still invalidated, as the user wrote them.
    if (settings.distributionIds.length > 0) {
      const { createInvalidations } = await import('./invalidate.js');
      invalidations = await createInvalidations(
        invalidationTargets(survey, settings, (key) => store.digest(key)),
        settings,
        report,
      );
    }
  } else {
    // Waiting for another deploy's lock ends at cancellation; a request to take it in flight completes.
    const lock = await phase('Lock', () =>
      translateAwsErrors(s3Context(settings), () =>
        acquireLock(s3, {
          run: currentRun(),
          waitSeconds: settings.lockTimeoutSeconds,
          listed: survey.listing.lockListed,
          log: core,
          sleep: (ms) => cancellation.sleep(ms, UNCHANGED),
        }),
      ),
    );
    let released: Promise<void> | undefined;
    const release = () =>
      (released ??= lock
        .release()
        .catch((error) => core.warning(`Could not release the lock: ${errorMessage(error)}`)));
    const unregister = cancellation.beforeExit(release);
    try {
      // Another deploy may have finished while this one waited or planned: act on what the bucket holds now.
      survey = await phase('Plan again, under the lock', () =>
        cancellation.race(surveyDeploy(settings, s3, store, survey), UNCHANGED),
      );
      report.plan = survey.plan;
      cancellation.check(UNCHANGED);
      invalidations = await write(survey, { settings, s3, store, lock, signal: cancellation.signal }, report);
    } finally {
      await release();
      unregister();
    }
  }
  if (invalidations && settings.wait) {
    cancellation.check(`the files are deployed; ${invalidationsLeft(invalidations)}.`);
    const { waitForInvalidations } = await import('./invalidate.js');
    await waitForInvalidations(invalidations, settings, report, cancellation.signal);
    cancellation.check(`the files are deployed; ${invalidationsLeft(invalidations)}.`);
  }
}

/** What a run that stops waiting leaves going: 'invalidation I1 on E1 goes on (not waited for)'. */
function invalidationsLeft(created: CreatedInvalidations): string {
  const going = created.invalidations.filter((i) => i.status === 'InProgress');
  if (going.length === 0) return 'the invalidations are done';
  return `${going.map((i) => `invalidation ${i.id} on ${i.distributionId}`).join(', ')} ${going.length === 1 ? 'goes' : 'go'} on (not waited for)`;
}

/** The deploy's writes, under the lock, with the state journaled before and recorded after. */
async function write(
  survey: Survey,
  context: {
    settings: Settings;
    s3: S3Target;
    store: StateStore;
    lock: PrefixLock;
    signal: AbortSignal;
  },
  report: DeployReport,
): Promise<CreatedInvalidations | undefined> {
  const { settings, s3, store, lock } = context;
  const { plan } = survey;
  const digest = (key: string) => store.digest(key);
  // `saved` is what the bucket holds; `state` is what this deploy knows so far.
  let saved = survey.state;
  let state = saved;
  let etag = survey.listing.stateEtag;
  const save = async (next: DeployState) => {
    state = next;
    if (!stateChanged(saved, next) && !(etag === undefined && !settings.teardown)) return;
    lock.assertHeld();
    etag = await translateAwsErrors(s3Context(settings), () =>
      store.write(next, { etag, conditional: lock.conditional }),
    );
    saved = next;
  };

  // Before the first write: what this deploy is about to make wrong at the edges, and the rules it applies.
  // A deploy that writes no object has nothing to journal: its one write is the state's final record.
  const writesObjects = plan.uploads.length + plan.headerUpdates.length + plan.deletes.length > 0;
  // Every distribution, whatever 'paths' says: a removed asset's grace period waits for the invalidation of
  // the pages that linked it, explicit '/*' included.
  const journaled = journal(state, {
    distributionIds: settings.distributionIds,
    digest,
    keys: plan.invalidate,
    rules: survey.rules,
    deployId: newDeployId(),
    writesObjects,
  });
  if (writesObjects) {
    await save(journaled);
    report.journaled = true;
  } else state = journaled;

  const applied: Applied = { written: [], deleted: [] };
  try {
    await applyPlan(
      plan,
      s3,
      {
        concurrency: settings.concurrency,
        classify: survey.classify,
        signal: context.signal,
        beforeEachWave: () => lock.assertHeld(),
      },
      report,
      applied,
    );
  } catch (error) {
    // What was written is still recorded, so the next deploy compares it and invalidates it.
    await save(
      recordWrites(state, digest, { written: [...applied.written, ...plan.learned], deleted: applied.deleted }),
    ).catch((saveError) =>
      core.warning(`Could not record the deploy state after the failure: ${errorMessage(saveError)}`),
    );
    throw error;
  }
  state = recordWrites(state, digest, { written: [...applied.written, ...plan.learned], deleted: applied.deleted });

  let invalidations: CreatedInvalidations | undefined;
  let invalidationError: Error | undefined;
  // Cancelled after its writes: still invalidated (seconds), so the next deploy has less to catch up on.
  if (settings.distributionIds.length > 0) {
    const { createInvalidations } = await import('./invalidate.js');
    try {
      const targets = invalidationTargets({ ...survey, state }, settings, digest);
      invalidations = await createInvalidations(targets, settings, report, state.deployId ?? newDeployId());
    } catch (error) {
      invalidationError = error instanceof Error ? error : new ActionError(errorMessage(error));
    }
  }
  // Only a created invalidation covers its distribution's pending keys; the others stay for the next deploy.
  // 'Skipped': the keys map to no URL this distribution serves, so nothing of it can be stale either.
  const created = report.invalidations
    .filter((i) => i.id !== '' || i.status === 'Skipped')
    .map((i) => i.distributionId);
  state = complete(clearPending(state, created), {
    rules: survey.rules,
    removals: plan.removals,
    distributionIds: settings.distributionIds,
    now: Date.now(),
  });
  if (settings.teardown && invalidationError === undefined) {
    lock.assertHeld();
    await translateAwsErrors(s3Context(settings), () => store.remove());
    core.info(`Removed the deploy state of s3://${s3.bucket}/${s3.prefix}.`);
  } else {
    await save(state);
  }
  if (invalidationError !== undefined) throw invalidationError;
  return invalidations;
}

/**
 * Walks and hashes the build while listing the bucket and reading the state, HEADs what those cannot
 * decide, and plans. With `previous` (a second look, under the lock) the build is not read again.
 */
async function surveyDeploy(settings: Settings, s3: S3Target, store: StateStore, previous?: Survey): Promise<Survey> {
  const target = `s3://${settings.bucket}/${settings.prefix}`;
  const list = () => translateAwsErrors(s3Context(settings), () => listRemote(s3.client, s3.bucket, s3.prefix));
  // Read alongside the listing, once: a wrong distribution id fails before anything is written.
  const describe = (): Promise<Map<string, DistributionInfo>> =>
    previous
      ? Promise.resolve(previous.distributions)
      : settings.distributionIds.length === 0
        ? Promise.resolve(new Map<string, DistributionInfo>())
        : import('./invalidate.js').then((cloudFront) =>
            cloudFront.describeDistributions(settings.distributionIds, settings.bucket),
          );
  let files: LocalFile[];
  let listing: RemoteListing;
  let distributions: Map<string, DistributionInfo>;
  let build: { rules: HeaderRules; classify: Classify };
  if (previous || settings.teardown) {
    files = previous?.files ?? [];
    build = previous ? { rules: previous.rules, classify: previous.classify } : rulesForBuild(settings.headerRules, []);
    [listing, distributions] = await Promise.all([list(), describe()]);
  } else {
    const { found, warnings } = await findFiles(settings.source, settings);
    for (const warning of warnings) core.warning(warning);
    const empty = checkEmptySource(found.length, settings, target);
    if (empty) core.warning(empty);
    checkKeyLengths(
      found.map((file) => file.key),
      settings.prefix,
    );
    build = rulesForBuild(
      settings.headerRules,
      found.map((file) => file.key),
    );
    // Hashing and listing overlap: a no-change deploy costs the slower of the two, not their sum. A failed
    // listing stops the hashing, which the run would otherwise wait for before it exits.
    const hashing = new AbortController();
    const orStopHashing = <T>(work: Promise<T>) =>
      work.catch((error: unknown) => {
        hashing.abort();
        throw error;
      });
    [listing, files, distributions] = await Promise.all([
      orStopHashing(list()),
      hashFiles(found, { headerRules: build.rules, log: core.debug, signal: hashing.signal }),
      orStopHashing(describe()),
    ]);
  }
  if (settings.teardown && listing.stateEtag === undefined) {
    throw new ActionError(
      `Nothing was deployed under ${target} by this action (it holds no deploy state), so 'teardown' refuses to delete anything there.`,
    );
  }

  const read =
    previous && previous.listing.stateEtag === listing.stateEtag
      ? previous.state
      : (await translateAwsErrors(s3Context(settings), () => store.read(listing.stateEtag, build.rules))).state;
  // Under SSE-KMS no ETag is an MD5, from the first deploy on.
  const kms = settings.encryption?.serverSideEncryption.startsWith('aws:kms') ?? false;
  const state = kms && !read.opaqueEtags ? { ...read, opaqueEtags: true } : read;
  const input: PlanInput = { local: files, remote: listing.objects, state, digest: (key) => store.digest(key) };

  const inspected = await inspect(input, settings, s3, previous);
  const plan = planDeploy(
    { ...input, inspected },
    {
      delete: settings.delete,
      force: settings.force,
      isSelected: keySelector(settings),
      classify: build.classify,
      deleteAfterMs: settings.deleteAfterMs,
      maxDeletes: settings.maxDeletes,
      distributionIds: settings.distributionIds,
      now: Date.now(),
      teardown: settings.teardown,
    },
  );
  checkDeleteCount(plan, settings.maxDeletes, target);
  if (settings.delete && !settings.teardown) {
    const selected = keySelector(settings);
    checkBrokenBuild(
      {
        localKeys: new Set(files.map((file) => file.key)),
        remoteKeys: [...listing.objects.keys()].filter(selected),
        alreadyRemoved: (key) => state.removals.has(store.digest(key)),
        classify: build.classify,
      },
      settings.maxDeleteShare,
      target,
    );
  }
  logPlan(plan, {
    files,
    listing,
    inspected: inspected.size,
    target,
    dryRun: settings.dryRun,
    classify: build.classify,
    again: previous !== undefined,
  });
  return { files, rules: build.rules, classify: build.classify, listing, state, inspected, plan, distributions };
}

/** HEADs what the listing and state cannot decide; a second look reuses what the first learned. */
async function inspect(
  input: PlanInput,
  settings: Settings,
  s3: S3Target,
  previous: Survey | undefined,
): Promise<Map<string, InspectedObject>> {
  const needed = keysToInspect(input, settings);
  const keys = [...needed.content, ...needed.headers];
  const reusable = (key: string) =>
    previous?.inspected.has(key) && previous.listing.objects.get(key)?.etag === input.remote.get(key)?.etag;
  const fresh = keys.filter((key) => !reusable(key));
  const inspected = new Map<string, InspectedObject>();
  for (const key of keys) {
    const known = previous?.inspected.get(key);
    if (known && reusable(key)) inspected.set(key, known);
  }
  if (fresh.length > 0) {
    core.info(`Reading the headers of ${fresh.length} object(s) this action has no record of (HEAD).`);
    const outcome = await headObjects(fresh, s3, { concurrency: settings.concurrency });
    if (outcome.failed.length > 0) {
      throw new ActionError(
        `Could not read ${outcome.failed.length} object(s) under s3://${s3.bucket}/${s3.prefix} (first: '${outcome.failed[0]?.key}': ${outcome.failed[0]?.message}). Nothing was changed.`,
      );
    }
    for (const [key, object] of outcome.objects) {
      const headers: ObjectHeaders = { contentType: object.contentType ?? '' };
      if (object.cacheControl) headers.cacheControl = object.cacheControl;
      if (object.contentEncoding) headers.contentEncoding = object.contentEncoding;
      inspected.set(key, { headers, ...(object.crc64nvme ? { crc64nvme: object.crc64nvme } : {}) });
    }
  }
  // Objects with a checksum to compare need the local file's CRC64NVME (computed only for them).
  const byKey = new Map(input.local.map((file) => [file.key, file]));
  for (const key of needed.content) {
    const file = byKey.get(key);
    if (file && inspected.get(key)?.crc64nvme && !file.crc64nvme) file.crc64nvme = await crc64nvme(file.absolutePath);
  }
  return inspected;
}

/** A deploy takes the lock only when it has something to write: objects, or the state itself. */
function mustWrite(survey: Survey, settings: Settings): boolean {
  const { plan, state } = survey;
  if (plan.uploads.length + plan.headerUpdates.length + plan.deletes.length > 0) return true;
  if (settings.teardown || survey.listing.stateEtag === undefined) return true;
  // Keys pending on a distribution of this deploy: invalidated now, whatever else it has to do.
  if (settings.distributionIds.some((id) => (state.pending.get(id)?.size ?? 0) > 0)) return true;
  const after = complete(
    recordWrites(state, (key) => key, { written: [], deleted: [] }),
    {
      rules: survey.rules,
      removals: plan.removals,
      distributionIds: settings.distributionIds,
      now: Date.now(),
    },
  );
  return plan.learned.length > 0 || stateChanged(state, after);
}

/**
 * Per distribution: every key its state says is pending (this deploy's changes were journaled there), each
 * with the content now behind it, so a retry of the same content is recognised. With explicit paths the keys
 * only go into the CallerReference.
 */
function invalidationTargets(
  survey: Pick<Survey, 'files' | 'listing' | 'state' | 'plan' | 'distributions' | 'classify'>,
  settings: Settings,
  digest: (key: string) => string,
): InvalidationTarget[] {
  const md5s = new Map(survey.files.map((file) => [file.key, file.md5]));
  const deleted = new Set(survey.plan.deletes);
  const contentOf = (key: string) => {
    if (key === EVERYTHING) return 'everything';
    const md5 = md5s.get(key);
    if (md5 && !settings.teardown) return md5;
    const object = survey.listing.objects.get(key);
    return object && !deleted.has(key) ? `etag:${object.etag.replace(/"/g, '')}` : 'deleted';
  };
  // The state holds digests: the names come back from the keys this deploy knows, the build and the listing.
  // Fingerprinted files never go stale at the edges: collapsing keeps wildcards away from their folders.
  const spare = survey.files
    .map((file) => file.key)
    .filter((key) => survey.classify(key).fileClass === 'fingerprinted');
  const names = new Map<string, string>();
  for (const key of [...md5s.keys(), ...survey.listing.objects.keys()]) names.set(digest(key), key);
  return settings.distributionIds.map((distributionId) => {
    const keys = new Set<string>();
    for (const pending of survey.state.pending.get(distributionId) ?? []) {
      // A key no one can name any more (deleted by a run whose invalidation failed): the whole prefix.
      keys.add(names.get(pending) ?? EVERYTHING);
    }
    // A dry run has journaled nothing: what it would invalidate is its own plan's.
    if (settings.dryRun) for (const key of survey.plan.invalidate) keys.add(key);
    const changes = [...keys].sort().map((key) => ({ key, content: contentOf(key) }));
    const described = survey.distributions.get(distributionId);
    const originPrefixes = described && (described.originPrefixes.length > 0 ? described.originPrefixes : ['']);
    return { distributionId, changes, spare, ...(originPrefixes ? { originPrefixes } : {}) };
  });
}

function logPlan(
  plan: Plan,
  facts: {
    files: readonly LocalFile[];
    listing: RemoteListing;
    inspected: number;
    target: string;
    dryRun: boolean;
    classify: Classify;
    /** The plan made again under the lock: the files and their classes are the ones logged already. */
    again: boolean;
  },
): void {
  const uploadBytes = plan.uploads.reduce((sum, upload) => sum + upload.file.size, 0);
  const kept = plan.kept.length > 0 ? `, ${plan.kept.length} removed but kept for their grace period` : '';
  const postponed =
    plan.postponed.length > 0 ? ` (${plan.postponed.length} of them due, left for later deploys by 'max-deletes')` : '';
  const classes = facts.files.map((file) => facts.classify(file.key));
  core.info(
    `${facts.files.length} local files (${classesLine(countClasses(classes))}), ${facts.listing.objects.size} objects under ${facts.target} (${facts.listing.pages} list request(s)): ` +
      `${plan.uploads.length} to upload (${formatBytes(uploadBytes)}), ${plan.headerUpdates.length} to re-header, ` +
      `${plan.deletes.length} to delete${kept}${postponed}, ${plan.unchanged.length} unchanged.`,
  );
  // A line per file and per change: a dry run shows them; otherwise only the debug log has them, and they
  // are not even made without it (two lines per file were 3 MB of strings at 20,000 files, held in memory).
  if (!facts.dryRun && !core.isDebug()) return;
  const log = facts.dryRun ? core.info : core.debug;
  const tag = (key: string) => {
    const { fileClass, why } = facts.classify(key);
    return `${fileClass}: ${why}`;
  };
  for (const upload of plan.uploads) log(`upload ${upload.file.key} (${upload.reason}; ${tag(upload.file.key)})`);
  for (const file of plan.headerUpdates) log(`update headers of ${file.key} (${tag(file.key)})`);
  for (const key of plan.deletes) log(`delete ${key} (${tag(key)})`);
  for (const key of plan.newlyRemoved) log(`keep ${key} for its grace period ('delete-after')`);
  // Every file's class and why: a dry run shows them (folded), the debug log has them once.
  if (facts.again) return;
  if (facts.dryRun) core.startGroup(`Classes of the ${facts.files.length} local files`);
  facts.files.forEach((file, index) => {
    const { fileClass, why } = classes[index] as Classification;
    log(`${fileClass} ${file.key} (${why})`);
  });
  if (facts.dryRun) core.endGroup();
}

function s3Context(settings: Settings): AwsContext {
  return { service: 'S3', bucket: settings.bucket };
}

function createTarget(settings: Settings): S3Target {
  const client = createS3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    maxSockets: settings.concurrency + EXTRA_REQUESTS_IN_FLIGHT,
  });
  return {
    client,
    bucket: settings.bucket,
    prefix: settings.prefix,
    ...(settings.encryption ? { encryption: settings.encryption } : {}),
  };
}

/** configure-aws-credentials masks these too; a plain env block in a workflow does not. */
function maskCredentials(): void {
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN']) {
    const value = process.env[name];
    if (value) core.setSecret(value);
  }
}
