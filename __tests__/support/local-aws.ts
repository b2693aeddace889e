/**
 * The local AWS a test deploys to: the strict local S3 behind a request-counting proxy, the CloudFront API server,
 * and a `deploy` that runs dist/index.js with the environment a workflow has after
 * configure-aws-credentials, pointed at them.
 */
import type { ChildProcess } from 'node:child_process';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type LocalCachePolicy,
  type LocalCloudFrontServer,
  type LocalDistribution,
  startCloudFrontServer,
} from '../../local/cloudfront-server.mjs';
import { type ActionRun, runAction } from '../../local/run-action.mjs';
import { type Faults, type S3Proxy, startS3Proxy } from '../../local/s3-proxy.mjs';
import { S3_CREDENTIALS, type LocalS3Server, startS3Server } from '../../local/s3-server.mjs';
import { bucketClient } from './site.js';

/** The region of the local buckets, and of the credentials a deploy gets. */
export const REGION = 'eu-west-1';

export interface LocalAws {
  s3: LocalS3Server;
  /** Counts requests by S3 operation; the action talks to S3 through it. */
  proxy: S3Proxy;
  cloudFront: LocalCloudFrontServer;
  /** A client for looking into the buckets (not through the proxy). */
  bucket: S3Client;
  /** node: the Node.js binary to run the action with (default: the one running the tests). */
  deploy(
    inputs: Record<string, string>,
    env?: Record<string, string>,
    options?: { node?: string; onStart?: (child: ChildProcess) => void },
  ): Promise<ActionRun>;
  close(): Promise<void>;
}

export async function startLocalAws(options: {
  buckets: string[];
  distributions: LocalDistribution[];
  cachePolicies?: LocalCachePolicy[];
  completeAfterMs?: number;
  faults?: Faults;
}): Promise<LocalAws> {
  // The buckets are in the region the workflow's credentials step names (AWS_REGION below).
  const s3 = await startS3Server({ buckets: options.buckets, region: REGION });
  const proxy = await startS3Proxy({ target: s3.url, ...(options.faults ? { faults: options.faults } : {}) });
  const cloudFront = await startCloudFrontServer({
    completeAfterMs: options.completeAfterMs ?? 1500,
    distributions: options.distributions,
    ...(options.cachePolicies ? { cachePolicies: options.cachePolicies } : {}),
  });
  return {
    s3,
    proxy,
    cloudFront,
    bucket: bucketClient(s3.url, REGION),
    deploy: (inputs, env = {}, { node, onStart } = {}) =>
      runAction({
        ...(node ? { node } : {}),
        ...(onStart ? { onStart } : {}),
        inputs: { 'force-path-style': 'true', ...inputs },
        env: {
          AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
          AWS_REGION: REGION,
          AWS_ENDPOINT_URL_S3: proxy.url,
          AWS_ENDPOINT_URL_CLOUDFRONT: cloudFront.url,
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_REPOSITORY: 'octo/site',
          GITHUB_RUN_ID: String(Date.now()),
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_JOB: 'deploy',
          GITHUB_ACTION: 'site',
          ...env,
        },
      }),
    async close() {
      await cloudFront.close();
      await proxy.close();
      await s3.close();
    },
  };
}
