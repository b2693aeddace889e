/** Everything the action tells the workflow: step outputs and the job summary, set in one place. */
import * as core from '@actions/core';
import type { FileClass } from './classify.js';
import type { Invalidation } from './cloudfront.js';
import { formatBytes, formatSeconds } from './format.js';
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
  url: 'url',
} as const;

/** Where the deployed prefix is served, when a distribution is known. */
export interface SiteAddress {
  /** The distribution's first alternate domain name, else its cloudfront.net domain. */
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
  /** One per distribution, in the order given. */
  invalidations: Invalidation[];
  site?: SiteAddress;
  /** Why the step failed, and in which phase. */
  failure?: { message: string; stage: string };
}

export function newReport(settings: { bucket: string; prefix: string; dryRun: boolean }): DeployReport {
  return {
    bucket: settings.bucket,
    prefix: settings.prefix,
    dryRun: settings.dryRun,
    startedAt: Date.now(),
    uploadedKeys: [],
    uploadedBytes: 0,
    headerUpdatedKeys: [],
    failedUploads: [],
    deletedKeys: [],
    failedDeletes: [],
    notAttempted: 0,
    invalidations: [],
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
  const kinds: Array<[string, ChangeKind]> = [
    ...plan.uploads
      .filter((u) => !uploaded || uploaded.has(u.file.key))
      .map((u) => [u.file.key, u.reason] as [string, ChangeKind]),
    ...plan.headerUpdates
      .filter((f) => !updated || updated.has(f.key))
      .map((f) => [f.key, 'headers'] as [string, ChangeKind]),
    ...plan.deletes
      .filter((key) => !deleted || deleted.has(key))
      .map((key) => [key, 'deleted'] as [string, ChangeKind]),
    ...plan.newlyRemoved.map((key) => [key, 'kept'] as [string, ChangeKind]),
  ];
  return kinds.map(([key, change]) => {
    const url = urlOf(report, key);
    return url ? { key, change, url } : { key, change };
  });
}

/** A key's URL at the distribution; undefined without a distribution, or for a key it does not serve. */
function urlOf(report: DeployReport, key: string): string | undefined {
  if (!report.site?.domain) return undefined;
  const fullKey = report.prefix + key;
  if (!fullKey.startsWith(report.site.originPrefix)) return undefined;
  const path = fullKey.slice(report.site.originPrefix.length).replace(/(^|\/)index\.html$/, '$1');
  // The URL class encodes what a browser would (spaces, non-ASCII); '?' and '#' in a name are part of it.
  return new URL(`https://${report.site.domain}/${path.replace(/[%?#]/g, encodeURIComponent)}`).href;
}

/**
 * The outputs' limit is 1 MiB per job; a change list past this many entries is cut (the counts stay whole)
 * and the job summary says so.
 */
const MAX_CHANGES_IN_OUTPUT = 5000;

/** The step's outputs. In a dry run the counts are what the deploy would do. */
export function outputsOf(report: DeployReport): Record<string, string> {
  const plan = report.plan;
  const uploaded = report.dryRun ? (plan?.uploads.length ?? 0) : report.uploadedKeys.length;
  const bytes = report.dryRun ? (plan?.uploads.reduce((sum, u) => sum + u.file.size, 0) ?? 0) : report.uploadedBytes;
  const deleted = report.dryRun ? (plan?.deletes.length ?? 0) : report.deletedKeys.length;
  const updated = report.dryRun ? (plan?.headerUpdates.length ?? 0) : report.headerUpdatedKeys.length;
  const first = report.invalidations[0];
  return {
    [Output.invalidationId]: first?.id ?? '',
    [Output.invalidationStatus]: first?.status ?? '',
    [Output.invalidations]: JSON.stringify(report.invalidations),
    [Output.updatedCount]: String(updated),
    [Output.uploadedCount]: String(uploaded),
    [Output.deletedCount]: String(deleted),
    [Output.unchangedCount]: String(plan?.unchanged.length ?? 0),
    [Output.uploadedBytes]: String(bytes),
    [Output.keptCount]: String(plan?.kept.length ?? 0),
    [Output.changes]: JSON.stringify(changesOf(report).slice(0, MAX_CHANGES_IN_OUTPUT)),
    [Output.url]: report.site?.domain ? (urlOf(report, '') ?? '') : '',
  };
}

export async function publishReport(report: DeployReport): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(report))) core.setOutput(name, value);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summaryMarkdown(report)).write();
}

/** "1 file", "2 files". */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
}

/** The one-line result, for a notice annotation. */
export function resultLine(report: DeployReport): string {
  const o = outputsOf(report);
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
export function summaryMarkdown(report: DeployReport): string {
  const outputs = outputsOf(report);
  const target = `s3://${report.bucket}/${report.prefix}`;
  const n = (name: string) => Number(outputs[name]);
  const lines: string[] = [];
  if (report.failure) {
    lines.push(
      `### Deploy${report.bucket ? ` to \`${target}\`` : ''} failed during ${report.failure.stage}`,
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
  if (report.notAttempted > 0)
    lines.push(`| **Not attempted** (waiting on a wave that failed) | ${count(report.notAttempted, 'file')} |`);
  if (report.failedUploads.length > 0)
    lines.push(`| **Failed to upload** | ${count(report.failedUploads.length, 'file')} |`);
  if (report.failedDeletes.length > 0)
    lines.push(`| **Failed to delete** | ${count(report.failedDeletes.length, 'file')} |`);
  if (report.classes && Object.values(report.classes).some((n) => n > 0))
    lines.push(`| Files by class | ${classesLine(report.classes)} |`);
  lines.push('');

  if (report.invalidations.length > 0) {
    lines.push('| Distribution | Invalidation | Paths |', '|---|---|---|');
    for (const { distributionId, id, status, paths, error } of report.invalidations) {
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
  lines.push(`Took ${formatSeconds(Date.now() - report.startedAt)}.`, '');

  const failures = [...report.failedUploads, ...report.failedDeletes];
  if (failures.length > 0) {
    lines.push('**Did not make it:**', '', ...failures.map((f) => `- \`${f.key}\`: ${escapeMarkdown(f.message)}`), '');
  }
  const changes = fileChanges(report);
  if (changes.length > 0) {
    lines.push(
      `<details><summary>${count(changes.length, 'changed file')}</summary>`,
      '',
      ...changes,
      '',
      '</details>',
      '',
    );
  }
  return lines.join('\n');
}

const MAX_LISTED_FILES = 1000;

function fileChanges(report: DeployReport): string[] {
  const lines = changesOf(report).map(({ key, change }) => `- \`${key}\` ${change}`);
  // The summary is capped at 1 MiB per step.
  return lines.length > MAX_LISTED_FILES
    ? [...lines.slice(0, MAX_LISTED_FILES), `- … and ${lines.length - MAX_LISTED_FILES} more`]
    : lines;
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
