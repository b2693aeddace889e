/**
 * The deploy, step by step: inputs -> local scan and remote listing (with the deploy state) -> plan ->
 * lock -> fresh listing and plan -> journal -> upload (assets, then entry points) -> header updates ->
 * deletes -> invalidate -> state -> unlock -> wait -> outputs and summary. The single place where failures
 * become the step's error.
 */
import * as core from '@actions/core';
import { type Applied, applyPlan } from './apply.js';
import { type Classification, type Classify, countClasses } from './classify.js';
import { edgePolicyReport } from './edge-cache.js';
import { ActionError, type AwsContext, errorMessage } from './errors.js';
import { formatBytes } from './format.js';
import { checkBrokenBuild, checkDeleteCount, checkEmptySource } from './guards.js';
import { type HeaderRules, type ObjectHeaders, rulesForBuild } from './headers.js';
import { type Settings, parseInputs } from './inputs.js';
import { crc64nvme, headObjects } from './inspect.js';
import type { CreatedInvalidations, InvalidationTarget } from './invalidate.js';
import { type LocalFile, findFiles, hashFiles, keySelector } from './local.js';
import { type PrefixLock, acquireLock } from './lock.js';
import { phase, translateAwsErrors } from './phase.js';
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
  hasPending,
  journal,
  recordWrites,
  stateChanged,
} from './state.js';
import { EXTRA_REQUESTS_IN_FLIGHT } from './upload.js';

export async function run(): Promise<void> {
  let report: DeployReport | undefined;
  maskCredentials();
  try {
    const settings = parseInputs((name) => core.getInput(name));
    report = newReport(settings);
    await deploy(settings, report);
    core.notice(resultLine(report));
  } catch (error) {
    core.setFailed(errorMessage(error));
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack);
  } finally {
    if (report)
      await publishReport(report).catch((error) =>
        core.warning(`Could not write the job summary: ${errorMessage(error)}`),
      );
  }
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
}

export async function deploy(settings: Settings, report: DeployReport): Promise<void> {
  const s3 = createTarget(settings);
  const store = new StateStore(s3, core.warning);
  // With 'cache-control: auto', the distributions' cache policies are read while planning (see edge-cache.ts).
  const auto = settings.headerRules.cacheControlAuto;
  const policies =
    auto && settings.distributionIds.length > 0 && !settings.teardown
      ? import('./invalidate.js').then(({ readEdgePolicies }) => readEdgePolicies(settings))
      : undefined;

  let survey = await phase('Plan', () => surveyDeploy(settings, s3, store));
  report.plan = survey.plan;
  report.classes = countClasses(survey.files.map((file) => survey.classify(file.key)));
  if (auto && policies) {
    for (const { level, message } of edgePolicyReport(await policies, auto.values, report.classes))
      core[level](message);
  }
  if (settings.dryRun) {
    if (settings.distributionIds.length > 0) {
      const { createInvalidations } = await import('./invalidate.js');
      await createInvalidations(invalidationTargets(survey, settings), settings, report);
    }
    return;
  }

  let invalidations: CreatedInvalidations | undefined;
  if (!mustWrite(survey, settings)) {
    // Nothing to write and nothing pending: explicit paths are still invalidated, as the user wrote them.
    if (settings.distributionIds.length > 0) {
      const { createInvalidations } = await import('./invalidate.js');
      invalidations = await createInvalidations(invalidationTargets(survey, settings), settings, report);
    }
  } else {
    const guarded = lockUntilCancelled(() =>
      phase('Lock', () =>
        translateAwsErrors(s3Context(settings), () =>
          acquireLock(s3, { run: currentRun(), waitSeconds: settings.lockTimeoutSeconds, log: core }),
        ),
      ),
    );
    try {
      const lock = await guarded.lock;
      try {
        // Another deploy may have finished while this one waited or planned: act on what the bucket holds now.
        survey = await phase('Plan again, under the lock', () => surveyDeploy(settings, s3, store, survey));
        report.plan = survey.plan;
        invalidations = await write(survey, { settings, s3, store, lock }, report);
      } finally {
        await lock.release().catch((error) => core.warning(`Could not release the lock: ${errorMessage(error)}`));
      }
    } finally {
      guarded.stop();
    }
  }
  if (invalidations && settings.wait) {
    const { waitForInvalidations } = await import('./invalidate.js');
    await waitForInvalidations(invalidations, settings, report);
  }
}

/** The deploy's writes, under the lock, with the state journaled before and recorded after. */
async function write(
  survey: Survey,
  context: {
    settings: Settings;
    s3: S3Target;
    store: StateStore;
    lock: PrefixLock;
  },
  report: DeployReport,
): Promise<CreatedInvalidations | undefined> {
  const { settings, s3, store, lock } = context;
  const { plan } = survey;
  const digest = (key: string) => store.digest(key);
  const auto = settings.paths === 'auto';
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
  const journaled = journal(state, {
    distributionIds: auto ? settings.distributionIds : [],
    keys: plan.invalidate,
    rules: survey.rules,
    deployId: newDeployId(),
    writesObjects,
  });
  if (writesObjects) await save(journaled);
  else state = journaled;

  const applied: Applied = { written: [], deleted: [] };
  try {
    await applyPlan(
      plan,
      s3,
      { concurrency: settings.concurrency, classify: survey.classify, beforeEachWave: () => lock.assertHeld() },
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
  if (settings.distributionIds.length > 0) {
    const { createInvalidations } = await import('./invalidate.js');
    try {
      const targets = invalidationTargets({ ...survey, state }, settings);
      invalidations = await createInvalidations(targets, settings, report, state.deployId ?? newDeployId());
    } catch (error) {
      invalidationError = error instanceof Error ? error : new ActionError(errorMessage(error));
    }
  }
  // Only a created invalidation covers its distribution's pending keys; the others stay for the next deploy.
  const created = report.invalidations.filter((i) => i.id !== '').map((i) => i.distributionId);
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
  let files: LocalFile[];
  let listing: RemoteListing;
  let build: { rules: HeaderRules; classify: Classify };
  if (previous || settings.teardown) {
    files = previous?.files ?? [];
    build = previous ? { rules: previous.rules, classify: previous.classify } : rulesForBuild(settings.headerRules, []);
    listing = await list();
  } else {
    const { found, warnings } = await findFiles(settings.source, settings);
    for (const warning of warnings) core.warning(warning);
    const empty = checkEmptySource(found.length, settings, target);
    if (empty) core.warning(empty);
    build = rulesForBuild(
      settings.headerRules,
      found.map((file) => file.key),
    );
    // Hashing and listing overlap: a no-change deploy costs the slower of the two, not their sum.
    [listing, files] = await Promise.all([list(), hashFiles(found, { headerRules: build.rules })]);
  }
  if (settings.teardown && listing.stateEtag === undefined) {
    throw new ActionError(
      `Nothing was deployed under ${target} by this action (it holds no deploy state), so 'teardown' refuses to delete anything there.`,
    );
  }

  const state =
    previous && previous.listing.stateEtag === listing.stateEtag
      ? previous.state
      : (await translateAwsErrors(s3Context(settings), () => store.read(listing.stateEtag, build.rules))).state;
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
      distributionIds: settings.paths === 'auto' ? settings.distributionIds : [],
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
  });
  return { files, rules: build.rules, classify: build.classify, listing, state, inspected, plan };
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
  const auto = settings.paths === 'auto';
  if (auto && settings.distributionIds.some((id) => (state.pending.get(id)?.size ?? 0) > 0)) return true;
  if (!auto && settings.distributionIds.length > 0 && hasPending(state)) return true;
  const after = complete(
    recordWrites(state, (key) => key, { written: [], deleted: [] }),
    {
      rules: survey.rules,
      removals: plan.removals,
      distributionIds: auto ? settings.distributionIds : [],
      now: Date.now(),
    },
  );
  return plan.learned.length > 0 || stateChanged(state, after);
}

/**
 * Per distribution: with 'paths: auto', every key its state says is pending (this deploy's changes were
 * journaled there), each with the content now behind it, so a retry of the same content is recognised.
 */
function invalidationTargets(
  survey: Pick<Survey, 'files' | 'listing' | 'state' | 'plan' | 'classify'>,
  settings: Settings,
): InvalidationTarget[] {
  const md5s = new Map(survey.files.map((file) => [file.key, file.md5]));
  const deleted = new Set(survey.plan.deletes);
  const contentOf = (key: string) => {
    const md5 = md5s.get(key);
    if (md5 && !settings.teardown) return md5;
    const object = survey.listing.objects.get(key);
    return object && !deleted.has(key) ? `etag:${object.etag.replace(/"/g, '')}` : 'deleted';
  };
  const spare = survey.files
    .map((file) => file.key)
    .filter((key) => survey.classify(key).fileClass === 'fingerprinted');
  return settings.distributionIds.map((distributionId) => {
    let keys = [...(survey.state.pending.get(distributionId) ?? [])];
    // A dry run has journaled nothing: what it would invalidate is its own plan's.
    if (settings.dryRun) keys = [...new Set([...keys, ...survey.plan.invalidate])];
    if (keys.includes(EVERYTHING)) keys = [...new Set([...md5s.keys(), ...survey.listing.objects.keys()])];
    return { distributionId, changes: keys.sort().map((key) => ({ key, content: contentOf(key) })), spare };
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
  const log = facts.dryRun ? core.info : core.debug;
  const tag = (key: string) => {
    const { fileClass, why } = facts.classify(key);
    return `${fileClass}: ${why}`;
  };
  for (const upload of plan.uploads) log(`upload ${upload.file.key} (${upload.reason}; ${tag(upload.file.key)})`);
  for (const file of plan.headerUpdates) log(`update headers of ${file.key} (${tag(file.key)})`);
  for (const key of plan.deletes) log(`delete ${key} (${tag(key)})`);
  for (const key of plan.newlyRemoved) log(`keep ${key} for its grace period ('delete-after')`);
  // Every file's class and why: a dry run shows them (folded), the debug log always has them.
  if (facts.dryRun) core.startGroup(`Classes of the ${facts.files.length} local files`);
  facts.files.forEach((file, index) => {
    const { fileClass, why } = classes[index] as Classification;
    log(`${fileClass} ${file.key} (${why})`);
  });
  if (facts.dryRun) core.endGroup();
}

/**
 * A cancelled run (the runner sends SIGINT, then SIGTERM) releases its lock before it goes, including one it
 * is still taking, so the next deploy does not wait for the lock to expire.
 */
function lockUntilCancelled(take: () => Promise<PrefixLock>): { lock: Promise<PrefixLock>; stop: () => void } {
  let cancelled = false;
  const lock = take();
  const onSignal = (signal: NodeJS.Signals) => {
    if (cancelled) return; // the runner's SIGTERM after its SIGINT: the release is already under way
    cancelled = true;
    core.setFailed(`Cancelled (${signal}); the lock was released and the next deploy finishes the job.`);
    void lock
      .then((held) => held.release())
      .catch(() => undefined)
      .finally(() => process.exit(1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    lock,
    stop: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
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
