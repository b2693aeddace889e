/** This run, as the rest of the world sees it: named to other deploys, and identified to CloudFront. */
import { randomBytes } from 'node:crypto';

/** The run as others see it named: its URL and job on GitHub, the process elsewhere. */
export function currentRun(env: NodeJS.ProcessEnv = process.env): string {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB } = env;
  if (GITHUB_RUN_ID && GITHUB_REPOSITORY) {
    const url = `${GITHUB_SERVER_URL ?? 'https://github.com'}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}/attempts/${GITHUB_RUN_ATTEMPT ?? '1'}`;
    return GITHUB_JOB ? `${url} (job ${GITHUB_JOB})` : url;
  }
  return `process ${process.pid}${GITHUB_RUN_ID ? ` of run ${GITHUB_RUN_ID}` : ''}`;
}

/**
 * A new deploy's id for CloudFront's CallerReference: the run, attempt, job and step, plus a random part,
 * since matrix legs and repeated calls of a reusable workflow share all four.
 */
export function newDeployId(env: NodeJS.ProcessEnv = process.env): string {
  const nonce = randomBytes(4).toString('hex');
  const { GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB, GITHUB_ACTION } = env;
  if (!GITHUB_RUN_ID) return `local-${nonce}`;
  return `${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT || 1}-${GITHUB_JOB ?? ''}-${GITHUB_ACTION ?? ''}-${nonce}`;
}
