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
} as const;

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
  };
}

export async function publishReport(report: DeployReport): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(report))) core.setOutput(name, value);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summaryMarkdown(report)).write();
}

/** The one-line result, for a notice annotation. */
export function resultLine(report: DeployReport): string {
  const o = outputsOf(report);
  const bytes = formatBytes(Number(o[Output.uploadedBytes]));
  const invalidations = report.invalidations
    .map((i) =>
      i.id
        ? `invalidation ${i.id} on ${i.distributionId} ${i.status}`
        : `${i.distributionId}: ${i.status === 'Failed' ? 'invalidation failed' : 'no invalidation'}`,
    )
    .join(', ');
  const changes = report.dryRun
    ? `Dry run: would upload ${o[Output.uploadedCount]} files (${bytes}), update headers of ${o[Output.updatedCount]}, delete ${o[Output.deletedCount]}; nothing was changed`
    : `Uploaded ${o[Output.uploadedCount]} files (${bytes}), updated headers of ${o[Output.updatedCount]}, deleted ${o[Output.deletedCount]}, ${o[Output.unchangedCount]} unchanged`;
  return invalidations ? `${changes}; ${invalidations}.` : `${changes}.`;
}

/** The job summary as Markdown: a table of what changed, the invalidation, and the files in a fold. */
export function summaryMarkdown(report: DeployReport): string {
  const outputs = outputsOf(report);
  const target = `s3://${report.bucket}/${report.prefix}`;
  const lines = [
    `### ${report.dryRun ? 'Dry run (nothing changed): plan for' : 'Deployed to'} \`${target}\``,
    '',
    '| | |',
    '|---|---|',
    `| ${report.dryRun ? 'Would upload' : 'Uploaded'} | ${outputs[Output.uploadedCount]} (${formatBytes(Number(outputs[Output.uploadedBytes]))}) |`,
    `| ${report.dryRun ? 'Would update headers' : 'Headers updated'} | ${outputs[Output.updatedCount]} |`,
    `| ${report.dryRun ? 'Would delete' : 'Deleted'} | ${outputs[Output.deletedCount]} |`,
    `| Unchanged | ${outputs[Output.unchangedCount]} |`,
  ];
  if (Number(outputs[Output.keptCount]) > 0)
    lines.push(`| Removed, kept for their grace period | ${outputs[Output.keptCount]} |`);
  if (report.notAttempted > 0) lines.push(`| **Not attempted** | ${report.notAttempted} |`);
  if (report.failedUploads.length > 0) lines.push(`| **Failed uploads** | ${report.failedUploads.length} |`);
  if (report.failedDeletes.length > 0) lines.push(`| **Failed deletes** | ${report.failedDeletes.length} |`);
  for (const { distributionId, id, status, paths, error } of report.invalidations) {
    const what = id ? `\`${id}\` on \`${distributionId}\`` : `\`${distributionId}\``;
    const shown =
      paths
        .slice(0, 10)
        .map((p) => `\`${p}\``)
        .join(' ') + (paths.length > 10 ? ` and ${paths.length - 10} more` : '');
    const label = report.dryRun ? 'Would invalidate' : 'Invalidation';
    const why = error ? ` (${escapeMarkdown(error)})` : '';
    lines.push(`| ${label} | ${what}${report.dryRun ? '' : `: **${status}**${why}`}${shown ? ` ${shown}` : ''} |`);
  }
  if (report.classes && Object.values(report.classes).some((count) => count > 0))
    lines.push(`| Files by class | ${classesLine(report.classes)} |`);
  lines.push(`| Time | ${formatSeconds(Date.now() - report.startedAt)} |`, '');

  const failures = [...report.failedUploads, ...report.failedDeletes];
  if (failures.length > 0) {
    lines.push('**Did not make it:**', '', ...failures.map((f) => `- \`${f.key}\`: ${escapeMarkdown(f.message)}`), '');
  }
  const changes = fileChanges(report);
  if (changes.length > 0) {
    lines.push(`<details><summary>${changes.length} changed file(s)</summary>`, '', ...changes, '', '</details>', '');
  }
  return lines.join('\n');
}

const MAX_LISTED_FILES = 1000;

function fileChanges(report: DeployReport): string[] {
  const plan = report.plan;
  if (!plan) return [];
  const uploaded = report.dryRun ? undefined : new Set(report.uploadedKeys);
  const updated = report.dryRun ? undefined : new Set(report.headerUpdatedKeys);
  const deleted = report.dryRun ? undefined : new Set(report.deletedKeys);
  const lines = [
    ...plan.uploads.filter((u) => !uploaded || uploaded.has(u.file.key)).map((u) => `- \`${u.file.key}\` ${u.reason}`),
    ...plan.headerUpdates.filter((f) => !updated || updated.has(f.key)).map((f) => `- \`${f.key}\` headers`),
    ...plan.deletes.filter((key) => !deleted || deleted.has(key)).map((key) => `- \`${key}\` deleted`),
  ];
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
  return text.replace(/[|<>]/g, (c) => `\\${c}`);
}
