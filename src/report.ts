/** Everything the action tells the workflow: step outputs and the job summary, set in one place. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import type { FileClass } from './classify.js';
import type { Invalidation } from './cloudfront.js';
import { errorMessage } from './errors.js';
import { formatBytes, formatCount, formatSeconds } from './format.js';
import type { Plan } from './plan.js';
import type { FailedFile } from './upload.js';

export const Output = {
  invalidationId: 'invalidation-id',
  invalidationStatus: 'invalidation-status',
  uploadedCount: 'uploaded-count',
  deletedCount: 'deleted-count',
  unchangedCount: 'unchanged-count',
  uploadedBytes: 'uploaded-bytes',
  updatedCount: 'updated-count',
  invalidations: 'invalidations',
  keptCount: 'kept-count',
  changes: 'changes',
  changesFile: 'changes-file',
  url: 'url',
} as const;

/** Where the deployed prefix is served, when a distribution is known. */
export interface SiteAddress {
  /** The distribution's first alternate domain name that is not a wildcard, else its cloudfront.net domain. */
  domain: string;
  /** The key prefix the distribution serves at '/'. */
  originPrefix: string;
}

/** What a deploy did, filled in phase by phase so a failed deploy still reports how far it got. */
export interface DeployReport {
  bucket: string;
  prefix: string;
  dryRun: boolean;
  startedAt: number;
  plan?: Plan;
  /** How many local files fell in each class (classify.ts). */
  classes?: Record<FileClass, number>;
  uploadedKeys: string[];
  uploadedBytes: number;
  /** Objects whose headers were rewritten in place. */
  headerUpdatedKeys: string[];
  failedUploads: FailedFile[];
  deletedKeys: string[];
  failedDeletes: FailedFile[];
  /** Planned writes never attempted because a wave before them failed (pages wait for their assets). */
  notAttempted: number;
  /**
   * One per distribution, in the order given. While CreateInvalidation requests are out, each distribution's
   * result lands here as CloudFront answers it, in the order of the answers.
   */
  invalidations: Invalidation[];
  /**
   * Distributions whose CreateInvalidation was sent and not answered yet, with the paths it carries: a run
   * that must exit before the answer reports them as probably made, not as never attempted.
   */
  awaitingAnswer: Map<string, string[]>;
  site?: SiteAddress;
  /** The distributions to invalidate, so a run that stops before invalidating can name them. */
  distributionIds: readonly string[];
  /** Set once the deploy journaled its changes as pending and began writing objects. */
  journaled: boolean;
  /** Why the step failed, and in which phase; `cancelled` when the run was cancelled there. */
  failure?: { message: string; stage: string; cancelled?: boolean };
}

export function newReport(settings: {
  bucket: string;
  prefix: string;
  dryRun: boolean;
  distributionIds?: readonly string[];
}): DeployReport {
  return {
    bucket: settings.bucket,
    prefix: settings.prefix,
    dryRun: settings.dryRun,
    distributionIds: settings.distributionIds ?? [],
    journaled: false,
    startedAt: Date.now(),
    uploadedKeys: [],
    uploadedBytes: 0,
    headerUpdatedKeys: [],
    failedUploads: [],
    deletedKeys: [],
    failedDeletes: [],
    notAttempted: 0,
    invalidations: [],
    awaitingAnswer: new Map(),
  };
}

export type ChangeKind = 'new' | 'changed' | 'unverifiable' | 'forced' | 'headers' | 'deleted' | 'kept';

export interface Change {
  key: string;
  change: ChangeKind;
  /** Where a visitor requests it, when the distribution's domain is known. */
  url?: string;
}

/**
 * What changed, key by key: in a deploy what was done, in a dry run what would be. Kept files (removed
 * from the build, still served during their grace period) are listed too, as `kept`.
 */
export function changesOf(report: DeployReport): Change[] {
  const plan = report.plan;
  if (!plan) return [];
  const done = (keys: readonly string[]) => (report.dryRun ? undefined : new Set(keys));
  const uploaded = done(report.uploadedKeys);
  const updated = done(report.headerUpdatedKeys);
  const deleted = done(report.deletedKeys);
  const changes: Change[] = [];
  const add = (key: string, change: ChangeKind) => {
    const url = urlOf(report, key);
    changes.push(url ? { key, change, url } : { key, change });
  };
  for (const { file, reason } of plan.uploads) {
    if (!uploaded || uploaded.has(file.key)) add(file.key, reason);
  }
  for (const file of plan.headerUpdates) {
    if (!updated || updated.has(file.key)) add(file.key, 'headers');
  }
  for (const key of plan.deletes) {
    if (!deleted || deleted.has(key)) add(key, 'deleted');
  }
  for (const key of plan.newlyRemoved) add(key, 'kept');
  return changes;
}

/** A key's URL at the distribution; undefined without a distribution, or for a key it does not serve. */
function urlOf(report: DeployReport, key: string): string | undefined {
  if (!report.site?.domain) return undefined;
  const fullKey = report.prefix + key;
  if (!fullKey.startsWith(report.site.originPrefix)) return undefined;
  const path = fullKey.slice(report.site.originPrefix.length).replace(/(^|\/)index\.html$/, '$1');
  // The URL class encodes what a browser would (spaces, non-ASCII); '?' and '#' in a name are part of it,
  // and it drops tabs and newlines and reads '\' as '/', which a Linux file name may hold: the URL would
  // name another page.
  // eslint-disable-next-line no-control-regex
  return new URL(`https://${report.site.domain}/${path.replace(/[%?#\\\x00-\x1f\x7f]/g, encodeURIComponent)}`).href;
}

/**
 * GitHub refuses outputs past 1 MiB; counted here for all of the step's outputs together, in UTF-16 (2 bytes
 * a character, names included): for their mostly ASCII text, twice the UTF-8 size.
 */
const MAX_OUTPUTS_BYTES = 1024 * 1024;
/**
 * `changes` is cut to this many bytes of JSON (UTF-8): workflows hand it to a script through `env:`, and Linux
 * refuses an environment string over 128 KiB (E2BIG), so the step would not even start. `changes-file` names
 * a file with every entry.
 */
const MAX_CHANGES_OUTPUT_BYTES = 100_000;
/** Room kept for the `changes-file` path (PATH_MAX), so the cut does not depend on where the file is. */
const PATH_ROOM = 4096;

const utf16Bytes = (text: string) => text.length * 2;

/** The longest head of `items` whose JSON array is at most `maxBytes` as `measure` counts: always valid JSON. */
function headThatFits(items: readonly unknown[], maxBytes: number, measure: (text: string) => number) {
  let size = measure('[]');
  const parts: string[] = [];
  for (const item of items) {
    const part = JSON.stringify(item);
    size += measure(part) + (parts.length > 0 ? measure(',') : 0);
    if (size > maxBytes) break;
    parts.push(part);
  }
  return { json: `[${parts.join(',')}]`, kept: parts.length };
}

/** Outputs cut to fit, and by how much; `changes` and `invalidations` are the only ones that grow with a site. */
interface FittedOutputs {
  outputs: Record<string, string>;
  /** Entries of the change list that `changes` left out (all are in `changes-file`). */
  changesLeftOut: number;
  changesTotal: number;
  /** Invalidation paths that `invalidations` left out (paths of several thousands, several distributions). */
  pathsLeftOut: number;
  /** The whole change list, made once for the outputs, the file and the summary. */
  changes: Change[];
}

function fittedOutputs(report: DeployReport, changesFile: string, allChanges = changesOf(report)): FittedOutputs {
  const plan = report.plan;
  const uploaded = report.dryRun ? (plan?.uploads.length ?? 0) : report.uploadedKeys.length;
  const bytes = report.dryRun ? (plan?.uploads.reduce((sum, u) => sum + u.file.size, 0) ?? 0) : report.uploadedBytes;
  const deleted = report.dryRun ? (plan?.deletes.length ?? 0) : report.deletedKeys.length;
  const updated = report.dryRun ? (plan?.headerUpdates.length ?? 0) : report.headerUpdatedKeys.length;
  const all = invalidationsOf(report);
  const first = all[0];
  const fixed: Record<string, string> = {
    [Output.invalidationId]: first?.id ?? '',
    [Output.invalidationStatus]: first?.status ?? '',
    [Output.updatedCount]: String(updated),
    [Output.uploadedCount]: String(uploaded),
    [Output.deletedCount]: String(deleted),
    [Output.unchangedCount]: String(plan?.unchanged.length ?? 0),
    [Output.uploadedBytes]: String(bytes),
    [Output.keptCount]: String(plan?.kept.length ?? 0),
    [Output.url]: report.site?.domain ? (urlOf(report, '') ?? '') : '',
  };
  const named = (name: string, value: number) => utf16Bytes(name) + value;
  let room =
    MAX_OUTPUTS_BYTES -
    Object.entries(fixed).reduce((sum, [name, value]) => sum + named(name, utf16Bytes(value)), 0) -
    named(Output.changesFile, 2 * PATH_ROOM) -
    named(Output.changes, 0) -
    named(Output.invalidations, 0);

  // Invalidations first (a deploy's own record of what it asked CloudFront), leaving `changes` its full size.
  const invalidations = fittedInvalidations(all, room - 2 * MAX_CHANGES_OUTPUT_BYTES);
  room -= utf16Bytes(invalidations.json);
  // UTF-16 is at most twice UTF-8, so half the room in UTF-8 bytes fits.
  const changes = headThatFits(allChanges, Math.min(MAX_CHANGES_OUTPUT_BYTES, room / 2), (text) =>
    Buffer.byteLength(text),
  );
  return {
    outputs: {
      ...fixed,
      [Output.invalidations]: invalidations.json,
      [Output.changes]: changes.json,
      [Output.changesFile]: changesFile,
    },
    changesLeftOut: allChanges.length - changes.kept,
    changesTotal: allChanges.length,
    pathsLeftOut: invalidations.leftOut,
    changes: allChanges,
  };
}

/** The `invalidations` JSON; past `maxBytes`, each distribution keeps the paths that fit in an equal share. */
function fittedInvalidations(invalidations: Invalidation[], maxBytes: number) {
  const whole = JSON.stringify(invalidations);
  if (utf16Bytes(whole) <= maxBytes) return { json: whole, leftOut: 0 };
  const share = Math.max(0, maxBytes - utf16Bytes('[]')) / Math.max(1, invalidations.length) - utf16Bytes(',');
  let leftOut = 0;
  const cut = invalidations.map((invalidation) => {
    const bare = utf16Bytes(JSON.stringify({ ...invalidation, paths: [] }));
    const { kept } = headThatFits(invalidation.paths, share - bare + utf16Bytes('[]'), utf16Bytes);
    leftOut += invalidation.paths.length - kept;
    return { ...invalidation, paths: invalidation.paths.slice(0, kept) };
  });
  return { json: JSON.stringify(cut), leftOut };
}

/**
 * The step's outputs, all of them within GitHub's 1 MiB. In a dry run the counts are what the deploy would
 * do. `changesFile`: the path `publishReport` wrote the whole change list to.
 */
export function outputsOf(report: DeployReport, changesFile = ''): Record<string, string> {
  return fittedOutputs(report, changesFile).outputs;
}

/** What the outputs left out, for warnings and the job summary. */
function cutNotes(fitted: FittedOutputs, changesFileWritten: boolean): string[] {
  const notes: string[] = [];
  if (fitted.changesLeftOut > 0)
    notes.push(
      `The \`changes\` output left out ${count(fitted.changesLeftOut, 'entry', 'entries')} of ${formatCount(fitted.changesTotal)} (it stays under ${MAX_CHANGES_OUTPUT_BYTES / 1000} KB so that a step can take it in \`env:\`); ` +
        (changesFileWritten
          ? 'the file that `changes-file` names has them all.'
          : 'no changes file could be written (see the warning above), so the counts are all that is left of them.'),
    );
  if (fitted.pathsLeftOut > 0)
    notes.push(
      `The \`invalidations\` output left out ${count(fitted.pathsLeftOut, 'path')} to stay within GitHub's 1 MiB of outputs (the invalidations themselves are whole).`,
    );
  return notes;
}

const CHANGES_FILE_PIECE = 64 * 1024;

/**
 * Writes every change (the `changes` output may be cut) as a JSON array, one entry a line, in `folder`
 * (the runner's temporary folder, emptied after each job); returns its path.
 */
export async function writeChangesFile(changes: Change[], folder: string): Promise<string> {
  await fs.mkdir(folder, { recursive: true });
  await fs.access(folder, fs.constants.W_OK);
  // A job may deploy several times: each step gets its own file.
  const file = path.join(folder, `s3-cloudfront-deploy-changes-${randomBytes(6).toString('hex')}.json`);
  // Written a piece at a time: the whole list as one string was megabytes at the run's last step.
  const handle = await fs.open(file, 'w');
  try {
    let piece = '[';
    for (const [index, change] of changes.entries()) {
      piece += `${index > 0 ? ',' : ''}\n${JSON.stringify(change)}`;
      if (piece.length >= CHANGES_FILE_PIECE) {
        await handle.write(piece);
        piece = '';
      }
    }
    await handle.write(`${piece}\n]\n`);
  } finally {
    await handle.close();
  }
  return file;
}

const STOPPED_BY: Record<string, string> = {
  'Upload assets': 'the uploads failed',
  'Upload entry points': 'the uploads failed',
  'Upload service workers': 'the uploads failed',
  'Update headers': 'the header updates failed',
  Delete: 'the deletes failed',
};

/**
 * Each distribution's invalidation. A run that stopped between its first write and its invalidation made
 * none: there each distribution is 'Failed', saying why, so a later step can tell it from "no distribution".
 * A run that had to exit while CreateInvalidation was out does not know the answer: that distribution is
 * 'Failed' too (no id to give), saying the invalidation probably exists.
 */
export function invalidationsOf(report: DeployReport): Invalidation[] {
  const { failure } = report;
  const answered = new Map(report.invalidations.map((invalidation) => [invalidation.distributionId, invalidation]));
  if (!failure || report.distributionIds.every((id) => answered.has(id))) return report.invalidations;
  // Stopped before its first write and before asking CloudFront anything: no invalidation is owed.
  if (!report.journaled && answered.size === 0 && report.awaitingAnswer.size === 0) return report.invalidations;
  const why = failure.cancelled
    ? 'the run was cancelled'
    : (STOPPED_BY[failure.stage] ?? `the deploy failed during ${failure.stage}`);
  const stillPending = report.journaled
    ? ' The changed keys are journaled as pending in the deploy state, so the next deploy invalidates them.'
    : '';
  return report.distributionIds.map((distributionId) => {
    const known = answered.get(distributionId);
    if (known) return known;
    const sent = report.awaitingAnswer.get(distributionId);
    if (sent) {
      return {
        distributionId,
        id: '',
        status: 'Failed',
        paths: sent,
        error:
          `CreateInvalidation was sent but ${why} before CloudFront answered; the invalidation probably exists: ` +
          `check the distribution's invalidations. The changed keys stay pending in the deploy state, so the ` +
          `next deploy invalidates them again (a re-run of the same build gets this invalidation back).`,
      };
    }
    return {
      distributionId,
      id: '',
      status: 'Failed',
      paths: [],
      error: `Not attempted: ${why} before invalidating.${stillPending}`,
    };
  });
}

export async function publishReport(report: DeployReport): Promise<void> {
  const changes = changesOf(report);
  // The runner's temporary folder, else the system's: a file somewhere beats entries lost.
  const folders = [...new Set([process.env.RUNNER_TEMP, os.tmpdir()].filter((folder) => !!folder))] as string[];
  let changesFile = '';
  for (const folder of folders) {
    try {
      changesFile = await writeChangesFile(changes, folder);
      break;
    } catch (error) {
      core.warning(`Could not write the changes file in ${folder}: ${errorMessage(error)}`);
    }
  }
  const fitted = fittedOutputs(report, changesFile, changes);
  for (const [name, value] of Object.entries(fitted.outputs)) core.setOutput(name, value);
  for (const note of cutNotes(fitted, changesFile !== '')) core.warning(note);
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(summaryMarkdown(report, changesFile !== '', fitted)).write();
  }
}

/** "1 file", "2 files". */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${formatCount(n)} ${n === 1 ? noun : plural}`;
}

/** The one-line result, for a notice annotation. */
export function resultLine(report: DeployReport): string {
  // The counts only: the change list (a record per file) is made once, for the outputs and the summary.
  const o = fittedOutputs(report, '', []).outputs;
  const bytes = formatBytes(Number(o[Output.uploadedBytes]));
  const files = (name: string) => count(Number(o[name]), 'file');
  const invalidations = report.invalidations.map((i) => {
    if (report.dryRun) {
      return i.paths.length > 0
        ? `would invalidate ${count(i.paths.length, 'path')} on ${i.distributionId}`
        : `${i.distributionId}: no invalidation needed`;
    }
    if (i.id) return `invalidation ${i.id} on ${i.distributionId} ${i.status}`;
    return `${i.distributionId}: ${i.status === 'Failed' ? 'invalidation failed' : 'no invalidation needed'}`;
  });
  const changes = report.dryRun
    ? `Dry run: would upload ${files(Output.uploadedCount)} (${bytes}), update the headers of ${files(Output.updatedCount)}, delete ${files(Output.deletedCount)}; nothing was changed`
    : `Uploaded ${files(Output.uploadedCount)} (${bytes}), updated the headers of ${files(Output.updatedCount)}, deleted ${files(Output.deletedCount)}, ${files(Output.unchangedCount)} unchanged`;
  return invalidations.length > 0 ? `${changes}; ${invalidations.join(', ')}.` : `${changes}.`;
}

/**
 * The job summary as Markdown. A failed deploy leads with the failure, where it stopped and what it had
 * done by then; then a table of what changed, each invalidation, and the files in a fold.
 */
export function summaryMarkdown(
  report: DeployReport,
  changesFileWritten = true,
  fitted = fittedOutputs(report, ''),
): string {
  const outputs = fitted.outputs;
  const target = `s3://${report.bucket}/${report.prefix}`;
  const n = (name: string) => Number(outputs[name]);
  const lines: string[] = [];
  if (report.failure) {
    const deploy = `Deploy${report.bucket ? ` to \`${target}\`` : ''}`;
    lines.push(
      report.failure.cancelled
        ? `### Cancelled during ${report.failure.stage}: ${deploy.charAt(0).toLowerCase()}${deploy.slice(1)} stopped`
        : `### ${deploy} failed during ${report.failure.stage}`,
      '',
      `> ${escapeMarkdown(report.failure.message)}`,
      '',
      'What it did before it stopped:',
      '',
    );
  } else {
    lines.push(`### ${report.dryRun ? 'Dry run (nothing changed): plan for' : 'Deployed to'} \`${target}\``, '');
  }
  const would = report.dryRun;
  lines.push(
    '| What | Files |',
    '|---|---|',
    `| ${would ? 'Would upload' : 'Uploaded'} | ${count(n(Output.uploadedCount), 'file')} (${formatBytes(n(Output.uploadedBytes))}) |`,
    `| ${would ? 'Would update headers of' : 'Headers updated'} | ${count(n(Output.updatedCount), 'file')} |`,
    `| ${would ? 'Would delete' : 'Deleted'} | ${count(n(Output.deletedCount), 'file')} |`,
    `| Unchanged | ${count(n(Output.unchangedCount), 'file')} |`,
  );
  if (n(Output.keptCount) > 0)
    lines.push(`| Removed, kept for their grace period | ${count(n(Output.keptCount), 'file')} |`);
  if (report.notAttempted > 0) {
    const why = report.failure?.cancelled
      ? 'the run was cancelled before they started'
      : 'waiting on a wave that failed';
    lines.push(`| **Not attempted** (${why}) | ${count(report.notAttempted, 'file')} |`);
  }
  if (report.failedUploads.length > 0)
    lines.push(`| **Failed to upload** | ${count(report.failedUploads.length, 'file')} |`);
  if (report.failedDeletes.length > 0)
    lines.push(`| **Failed to delete** | ${count(report.failedDeletes.length, 'file')} |`);
  if (report.classes && Object.values(report.classes).some((n) => n > 0))
    lines.push(`| Files by class | ${classesLine(report.classes)} |`);
  lines.push('');

  const invalidations = invalidationsOf(report);
  if (invalidations.length > 0) {
    lines.push('| Distribution | Invalidation | Paths |', '|---|---|---|');
    for (const { distributionId, id, status, paths, error } of invalidations) {
      const shown =
        paths
          .slice(0, 10)
          .map((p) => `\`${p}\``)
          .join(' ') + (paths.length > 10 ? ` and ${paths.length - 10} more` : '');
      const state = would
        ? paths.length > 0
          ? `would invalidate ${count(paths.length, 'path')}`
          : 'none needed'
        : `${id ? `\`${id}\` ` : ''}**${status}**${error ? ` (${escapeMarkdown(error)})` : ''}`;
      lines.push(`| \`${distributionId}\` | ${state} | ${shown || '-'} |`);
    }
    lines.push('');
  }
  if (outputs[Output.url]) lines.push(`Site: ${outputs[Output.url]}`, '');
  for (const note of cutNotes(fitted, changesFileWritten)) lines.push(note, '');
  lines.push(`Took ${formatSeconds(Date.now() - report.startedAt)}.`, '');

  const failures = [...report.failedUploads, ...report.failedDeletes];
  if (failures.length > 0) {
    const listed = cappedList(failures.map((f) => `- \`${f.key}\`: ${escapeMarkdown(f.message)}`));
    lines.push('**Did not make it:**', '', ...listed, '');
  }
  const changes = fileChanges(fitted.changes);
  if (changes.length > 0) {
    lines.push(
      `<details><summary>${count(fitted.changes.length, 'changed file')}</summary>`,
      '',
      ...changes,
      '',
      '</details>',
      '',
    );
  }
  return lines.join('\n');
}

/**
 * GitHub drops a step summary over 1 MiB whole, so each list of files in it stops at this many lines or bytes,
 * whichever comes first.
 */
const MAX_LISTED_FILES = 1000;
const MAX_LIST_BYTES = 400 * 1024;

function cappedList(lines: string[]): string[] {
  let bytes = 0;
  let shown = 0;
  for (const line of lines) {
    bytes += Buffer.byteLength(line) + 1;
    if (shown === MAX_LISTED_FILES || bytes > MAX_LIST_BYTES) break;
    shown++;
  }
  return shown < lines.length ? [...lines.slice(0, shown), `- … and ${formatCount(lines.length - shown)} more`] : lines;
}

function fileChanges(changes: Change[]): string[] {
  return cappedList(changes.map(({ key, change }) => `- \`${key}\` ${change}`));
}

const CLASS_NAMES: Record<FileClass, [string, string]> = {
  fingerprinted: ['fingerprinted', 'fingerprinted'],
  'entry-point': ['entry point', 'entry points'],
  'service-worker': ['service worker', 'service workers'],
  other: ['other', 'other'],
};

/** '120 fingerprinted, 14 entry points, 1 service worker, 9 other' (classes with no file left out). */
export function classesLine(counts: Record<FileClass, number>): string {
  const parts = (Object.keys(CLASS_NAMES) as FileClass[])
    .filter((fileClass) => counts[fileClass] > 0)
    .map((fileClass) => `${counts[fileClass]} ${CLASS_NAMES[fileClass][counts[fileClass] === 1 ? 0 : 1]}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function escapeMarkdown(text: string): string {
  return text.replace(/[|<>]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
}
