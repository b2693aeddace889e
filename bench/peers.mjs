// The tools measured side by side, each as its user runs it: how each syncs `source` to `bucket` at
// `endpoint`.
//
// - action: this action's bundle (dist/index.js), run as a GitHub runner runs it (INPUT_* variables,
//   GITHUB_OUTPUT), by `node` (default: the Node.js running the benchmark; pass the action's own runtime,
//   Node 24, with --node).
// - awscli: `aws s3 sync` (Debian's AWS CLI v2) with its defaults: 10 requests at once
//   (max_concurrent_requests), 8 MiB multipart threshold and parts, mtime-and-size comparison.
// - rclone: `rclone sync` with its defaults (4 transfers, 8 checkers, mtime comparison with a HEAD per file).
// - rclone-checksum: `rclone sync --checksum --fast-list` (MD5 from the listing, no HEAD per file to
//   compare; it still HEADs each file before uploading it).
//
// The environment is built from scratch: no user config (HOME is empty), no AWS_CA_BUNDLE unless the rig
// serves HTTPS, when each tool trusts the loopback certificate its own way.
import path from 'node:path';
import { ACTION_ENTRY, inputVariables } from '../local/run-action.mjs';
import { S3_CREDENTIALS } from '../local/s3-server.mjs';

export const REGION = 'us-east-1';
export const AWS_CLI = '/usr/bin/aws';
export const RCLONE = '/usr/bin/rclone';

const keys = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey };

/**
 * spec: { source, bucket, endpoint, home, remove?, concurrency?, dryRun?, certFile?, node?, entry?,
 * nodeArgs?, verbose? }. remove: delete what is gone locally.
 */
export const TOOLS = {
  action: ({ source, bucket, endpoint, remove, concurrency, dryRun, home, certFile, node, entry, nodeArgs = [] }) => {
    const inputs = { source, bucket, 'force-path-style': 'true' };
    // Deleted at once, as the other tools delete: the grace period would keep them (and the check would fail).
    if (remove) Object.assign(inputs, { delete: 'true', 'max-deletes': '-1', 'delete-after': '0', 'max-delete-share': '100%' });
    if (concurrency) inputs.concurrency = String(concurrency);
    if (dryRun) inputs['dry-run'] = 'true'; // only the planning test
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      ...keys,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_S3: endpoint,
      GITHUB_OUTPUT: path.join(home, 'output'),
      GITHUB_STEP_SUMMARY: path.join(home, 'summary'),
      ...(certFile ? { NODE_EXTRA_CA_CERTS: certFile } : {}),
      ...inputVariables(inputs),
    };
    return { command: node ?? process.execPath, args: [...nodeArgs, entry ?? ACTION_ENTRY], env };
  },
  awscli: ({ source, bucket, endpoint, remove, home, certFile }) => ({
    command: AWS_CLI,
    // --only-show-errors: 2,000 progress lines to a pipe are not what is being measured.
    args: ['--endpoint-url', endpoint, 's3', 'sync', source, `s3://${bucket}`, '--only-show-errors', ...(remove ? ['--delete'] : [])],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      ...keys,
      AWS_DEFAULT_REGION: REGION,
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...(certFile ? { AWS_CA_BUNDLE: certFile } : {}),
    },
  }),
  rclone: (spec) => rclone(spec, []),
  'rclone-checksum': (spec) => rclone(spec, ['--checksum', '--fast-list']),
};

/** `rclone sync` always deletes; where nothing is to be deleted it is the same as copy. */
function rclone({ source, bucket, endpoint, home, certFile, verbose }, flags) {
  return {
    command: RCLONE,
    // -vv (with --logs): one line per file copied or deleted, for checking what a run did.
    args: ['sync', source, `bench:${bucket}`, ...flags, ...(certFile ? ['--ca-cert', certFile] : []), ...(verbose ? ['-vv'] : [])],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      RCLONE_CONFIG_BENCH_TYPE: 's3',
      RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
      RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: keys.AWS_ACCESS_KEY_ID,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: keys.AWS_SECRET_ACCESS_KEY,
      RCLONE_CONFIG_BENCH_REGION: REGION,
      RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    },
  };
}
