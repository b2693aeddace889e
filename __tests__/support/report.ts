/** Reports of finished deploys, for the tests of what report.ts makes of them (outputs, summary, URLs). */
import type { LocalFile } from '../../src/local.js';
import type { Plan } from '../../src/plan.js';
import { type DeployReport, newReport } from '../../src/report.js';

/** Where deployedReport's site is served. */
export const DOMAIN = 'www.example.com';

/** A 1,000-byte page planned for upload. */
export function plannedFile(key: string): LocalFile {
  return { key, absolutePath: `/tmp/${key}`, size: 1000, md5: '0'.repeat(32), headers: { contentType: 'text/html' } };
}

export function emptyPlan(): Plan {
  return {
    uploads: [],
    headerUpdates: [],
    unchanged: [],
    deletes: [],
    kept: [],
    newlyRemoved: [],
    expired: [],
    postponed: [],
    invalidate: [],
    removals: new Map(),
    learned: [],
  };
}

/** A finished deploy to s3://my-site-bucket/ that uploaded these keys as new, served at DOMAIN. */
export function deployedReport(keys: string[]): DeployReport {
  const report = newReport({ bucket: 'my-site-bucket', prefix: '', dryRun: false });
  report.plan = { ...emptyPlan(), uploads: keys.map((key) => ({ file: plannedFile(key), reason: 'new' as const })) };
  report.uploadedKeys = [...keys];
  report.site = { domain: DOMAIN, originPrefix: '' };
  return report;
}
