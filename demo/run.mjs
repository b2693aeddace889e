// The demo: starts the local S3 (strict, as S3 is) and CloudFront API servers, "builds" the sample site, and runs
// the bundled action on it twice, as a runner would: a first deploy, then a one-file edit.
// Run it with `npm run demo`.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCloudFrontServer } from '../local/cloudfront-server.mjs';
import { runAction } from '../local/run-action.mjs';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';

const BUCKET = 'demo-site';
const DISTRIBUTION = 'EDEMO00000001';
const sampleSite = fileURLToPath(new URL('./site', import.meta.url));

const s3 = await startS3Server({ buckets: [BUCKET] });
const cloudFront = await startCloudFrontServer({
  completeAfterMs: 3000,
  distributions: [{ id: DISTRIBUTION, bucketDomain: `${BUCKET}.s3.us-east-1.amazonaws.com` }],
});
console.log(`Local S3 (strict):       ${s3.url}`);
console.log(`Local CloudFront API:    ${cloudFront.url}\n`);

const build = await fs.mkdtemp(path.join(os.tmpdir(), 'demo-build-'));
await fs.cp(sampleSite, build, { recursive: true });

const env = {
  AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_S3: s3.url,
  AWS_ENDPOINT_URL_CLOUDFRONT: cloudFront.url,
  GITHUB_RUN_ID: String(Date.now()),
  GITHUB_RUN_ATTEMPT: '1',
};
const inputs = {
  source: build,
  bucket: BUCKET,
  'distribution-id': DISTRIBUTION,
  paths: 'auto',
  'cache-control': '**/*.html: no-cache\nassets/**: public, max-age=86400',
  wait: 'true',
  delete: 'true',
  'force-path-style': 'true',
};

let failed = false;
async function deploy(title) {
  console.log(`\n=== ${title} ===\n`);
  const run = await runAction({ inputs, env: { ...env, GITHUB_ACTION: title.replace(/\W+/g, '-') }, echo: true });
  console.log(`\n--- step outputs ---`);
  for (const [name, value] of Object.entries(run.outputs)) console.log(`${name.padEnd(20)} ${value}`);
  console.log(`\n--- job summary ---\n${run.summary}`);
  if (run.exitCode !== 0) failed = true;
}

try {
  await deploy('First deploy');
  await fs.appendFile(path.join(build, 'assets/site.css'), 'h1 { color: darkorange; }\n');
  await fs.rm(path.join(build, 'robots.txt'));
  await deploy('Second deploy: one stylesheet edited, robots.txt removed (paths: auto invalidates just those)');
  await deploy('Third deploy: nothing changed (one list request, no invalidation)');
} finally {
  await cloudFront.close();
  await s3.close();
  await fs.rm(build, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
