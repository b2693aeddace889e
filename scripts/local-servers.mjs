// Starts the local S3 (strict, as S3 is) and CloudFront API servers together in the foreground, on the ports
// .env.example points at, for `npm run local-action` or any S3 client. Ctrl-C stops both.
// Run: npm run local-servers [-- --s3-port 4566 --cloudfront-port 4567]
import { startCloudFrontServer } from '../local/cloudfront-server.mjs';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';

const flag = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
};
const BUCKET = 'site-bucket';
const DISTRIBUTION = 'E2EXAMPLE0000';

const s3 = await startS3Server({ buckets: [BUCKET], port: flag('--s3-port', 4566) });
const cloudFront = await startCloudFrontServer({
  port: flag('--cloudfront-port', 4567),
  completeAfterMs: 3000,
  distributions: [{ id: DISTRIBUTION, bucketDomain: `${BUCKET}.s3.us-east-1.amazonaws.com` }],
});
console.log(`Local S3 (strict):    ${s3.url}  bucket ${BUCKET}`);
console.log(`Local CloudFront API: ${cloudFront.url}  distribution ${DISTRIBUTION} (origin ${BUCKET})`);
console.log(`Credentials:          ${S3_CREDENTIALS.accessKeyId} / ${S3_CREDENTIALS.secretAccessKey}`);
console.log('Ctrl-C stops both.');
