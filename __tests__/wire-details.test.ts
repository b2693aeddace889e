/**
 * Wire details a user meets on real setups, end to end through dist/index.js: S3-compatible regions,
 * nested .git data, what an S3 refusal is blamed on, downloads of .gz files, and runners behind a proxy.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { nodeHasProxySupport } from '../src/http.js';
import {
  type ForwardProxy,
  type TlsFront,
  loopbackCertificate,
  startForwardProxy,
  startTlsFront,
} from './support/forward-proxy.js';
import { startFront } from './support/front.js';
import { NODE24, requireNode24, withNode24 } from './support/node24.js';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { getObject, largeFile, siteKeys, writeSite } from './support/site.js';

const DISTRIBUTION = 'EWIRE00000001';
const BUCKETS = ['scaleway', 'typo', 'submodules', 'encrypted', 'downloads', 'proxied', 'resumed'];
let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({ buckets: BUCKETS, distributions: [{ id: DISTRIBUTION }], completeAfterMs: 200 });
});
afterAll(() => local?.close());

describe('region', () => {
  it("deploys to an S3-compatible store in its own region name (Scaleway's fr-par)", async () => {
    const source = await writeSite({ 'index.html': 'bonjour' });
    const run = await local.deploy({ source, bucket: 'scaleway', region: 'fr-par' });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(await siteKeys(local.bucket, 'scaleway')).toEqual(['index.html']);
  });

  it("follows a bucket in another region than the workflow's credentials name (S3's 301 redirect)", async () => {
    const source = await writeSite({ 'index.html': 'x', 'old.html': 'old' });
    const inputs = { source, bucket: 'scaleway', prefix: 'redirected', delete: 'true', 'delete-after': '0' };
    expect((await local.deploy(inputs, { AWS_REGION: 'ap-south-1' })).exitCode).toBe(0);
    await fs.rm(path.join(source, 'old.html'));
    local.proxy.reset();
    const run = await local.deploy(inputs, { AWS_REGION: 'ap-south-1' });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    // Signed for ap-south-1 first, answered 301 with the bucket's region, then every request in it: the lock,
    // the state and the DeleteObjects with its own Content-MD5 included.
    expect(local.s3.requests.some((r) => r.code === 'PermanentRedirect')).toBe(true);
    expect((await siteKeys(local.bucket, 'scaleway')).filter((key) => key.startsWith('redirected/'))).toEqual([
      'redirected/index.html',
    ]);
  });

  it('stops an upper-case region before any request, with the fix', async () => {
    const source = await writeSite({ 'index.html': 'x' });
    local.proxy.reset();
    const run = await local.deploy({ source, bucket: 'typo', region: 'EU-WEST-1' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/Input 'region' .*lower-case.*Did you mean 'eu-west-1'\?/)]);
    expect(local.proxy.counts()).toEqual({});
  });
});

describe('.git at any depth', () => {
  it("never deploys a submodule's .git file, a nested repository or .DS_Store", async () => {
    const source = await writeSite({
      'index.html': 'home',
      'vendor/lib/.git': 'gitdir: ../../.git/modules/lib',
      'vendor/lib/lib.js': 'lib()',
      'docs/.git/HEAD': 'ref: refs/heads/main',
      'docs/.git/config': '[remote "origin"]\n\turl = https://token@example.com/private.git',
      'docs/index.html': 'docs',
      'docs/.DS_Store': 'junk',
      'docs/.gitignore': 'tmp/',
    });
    const run = await local.deploy({ source, bucket: 'submodules' });
    expect(run.exitCode).toBe(0);
    expect(await siteKeys(local.bucket, 'submodules')).toEqual([
      'docs/.gitignore',
      'docs/index.html',
      'index.html',
      'vendor/lib/lib.js',
    ]);
  });
});

/** In front of the local S3: answers a PutObject of `key` as S3 does when it refuses an argument. */
function startRefusingFront(target: string, key: string, error: { message: string; argument: string }) {
  return startFront(target, (request) =>
    request.method === 'PUT' && new URL(request.url ?? '', target).pathname.endsWith(`/${key}`)
      ? {
          status: 400,
          headers: { 'content-type': 'application/xml' },
          body:
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>${error.message}</Message>` +
            `<ArgumentName>${error.argument}</ArgumentName><ArgumentValue>null</ArgumentValue><RequestId>1</RequestId></Error>`,
        }
      : undefined,
  );
}

describe('what an S3 refusal is blamed on', () => {
  it('names what S3 refused and the encryption inputs, not CloudFront paths', async () => {
    const front = await startRefusingFront(local.proxy.url, 'index.html', {
      message:
        'Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
      argument: 'x-amz-server-side-encryption',
    });
    try {
      const source = await writeSite({ 'index.html': 'x' });
      const run = await local.deploy(
        { source, bucket: 'encrypted', 'distribution-id': DISTRIBUTION },
        { AWS_ENDPOINT_URL_S3: front.url },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        expect.stringMatching(
          /'index.html': S3 refused a request to bucket 'encrypted' as invalid \(x-amz-server-side-encryption: 'null'\): Server Side Encryption with KMS .*'server-side-encryption'.*'sse-kms-key-id'/,
        ),
      ]);
      expect(run.errors[0]).not.toMatch(/CloudFront|'paths'/);
    } finally {
      await front.close();
    }
  });
});

describe('pre-compressed files', () => {
  it('serves a .gz download as the bytes deployed, and encodes only what a rule asks for', async () => {
    const csv = gzipSync('id,name\n1,Ada\n');
    const source = await writeSite({
      'data.csv.gz': csv,
      'assets/app.js.gz': gzipSync('app()'),
      'sitemap.xml.gz': gzipSync('<urlset/>'),
    });
    const run = await local.deploy({ source, bucket: 'downloads', 'content-encoding': 'assets/**/*.gz: gzip' });
    expect(run.exitCode).toBe(0);

    const head = (key: string) => local.bucket.send(new HeadObjectCommand({ Bucket: 'downloads', Key: key }));
    const download = await head('data.csv.gz');
    expect(download.ContentType).toBe('application/gzip');
    expect(download.ContentEncoding).toBeUndefined();
    expect((await head('sitemap.xml.gz')).ContentEncoding).toBeUndefined();
    const asset = await head('assets/app.js.gz');
    expect(asset.ContentEncoding).toBe('gzip');
    expect(asset.ContentType).toBe('text/javascript; charset=utf-8');

    const got = await local.bucket.send(new GetObjectCommand({ Bucket: 'downloads', Key: 'data.csv.gz' }));
    expect(
      Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
    ).toEqual(csv);
  });
});

describe('a large upload a killed runner left unfinished', () => {
  it('is aborted by the re-run that writes the file, signed over an odd name, and another file’s is left alone', async () => {
    // The runner died after the first part of the trailer: S3 keeps (and bills) that part, with no object.
    const key = 'média/our trailer+cut (v2).mp4';
    const leftover = async (Key: string) => {
      const { UploadId } = await local.bucket.send(new CreateMultipartUploadCommand({ Bucket: 'resumed', Key }));
      const Body = Buffer.alloc(5 * 1024 * 1024, 1);
      await local.bucket.send(new UploadPartCommand({ Bucket: 'resumed', Key, UploadId, PartNumber: 1, Body }));
    };
    await leftover(key);
    await leftover('média/our trailer+cut (v2).mp4.bak'); // a key of the same prefix: not the deploy's file
    const trailer = largeFile(9 * 1024 * 1024 + 7, 41);
    const source = await writeSite({ 'index.html': 'home', [key]: trailer });
    local.proxy.reset();
    const run = await local.deploy({ source, bucket: 'resumed' });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(local.proxy.counts().ListMultipartUploads).toBe(1);
    expect(local.s3.multipartUploads('resumed').map((upload) => upload.key)).toEqual([`${key}.bak`]);
    const { body } = await getObject(local.bucket, 'resumed', key);
    expect(body.equals(trailer)).toBe(true);
  });
});

describe('a runner behind a proxy', () => {
  let proxy: ForwardProxy;
  beforeEach(async () => {
    proxy = await startForwardProxy();
  });
  afterEach(() => proxy.close());

  const site = { 'index.html': 'home', 'about.html': 'about' };
  const toProxied = { bucket: 'proxied', 'distribution-id': DISTRIBUTION, paths: '/*' };
  /**
   * A download over the 8 MiB multipart threshold: its parts (2 MiB and more) carry `Expect: 100-continue`,
   * which the SDK's handler sends on a fresh agent of its own, around the proxy, unless it is given agents.
   */
  const video = (seed: number) => largeFile(9 * 1024 * 1024 + 123, seed);
  const arrivedWhole = async (bytes: Buffer) => {
    expect(local.proxy.counts().UploadPart).toBe(2);
    const { body } = await getObject(local.bucket, 'proxied', 'media/launch.mp4');
    expect(body.length).toBe(bytes.length);
    expect(body.equals(bytes)).toBe(true);
  };
  const s3Host = () => new URL(local.proxy.url).host;
  const cloudFrontHost = () => new URL(local.cloudFront.url).host;

  // Node 24.5+ (the action's runtime) honours proxy variables.
  requireNode24('has a Node.js with proxy support to run the action with');

  withNode24('tunnels S3, video parts too, and CloudFront through HTTPS_PROXY, with its credentials', async () => {
    const certificate = await loopbackCertificate();
    const fronts: TlsFront[] = [
      await startTlsFront(local.proxy.url, certificate),
      await startTlsFront(local.cloudFront.url, certificate),
    ];
    const [s3Front, cloudFrontFront] = fronts as [TlsFront, TlsFront];
    try {
      const launch = video(7);
      const source = await writeSite({ ...site, 'media/launch.mp4': launch });
      local.proxy.reset();
      const proxyUrl = new URL(proxy.url);
      proxyUrl.username = 'deploy';
      proxyUrl.password = 'pr0xy-secret';
      const run = await local.deploy(
        { source, ...toProxied },
        {
          AWS_ENDPOINT_URL_S3: s3Front.url,
          AWS_ENDPOINT_URL_CLOUDFRONT: cloudFrontFront.url,
          NODE_EXTRA_CA_CERTS: certificate.certFile,
          HTTPS_PROXY: proxyUrl.href,
        },
        { node: NODE24 as string },
      );
      expect(run.errors).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.outputs['invalidation-status']).toBe('InProgress');

      const tunnels = proxy.passages.filter((passage) => passage.method === 'CONNECT');
      expect(new Set(tunnels.map((tunnel) => tunnel.target))).toEqual(
        new Set([new URL(s3Front.url).host, new URL(cloudFrontFront.url).host]),
      );
      const basic = `Basic ${Buffer.from('deploy:pr0xy-secret').toString('base64')}`;
      expect(tunnels.every((tunnel) => tunnel.proxyAuthorization === basic)).toBe(true);
      // Every connection the servers accepted came out of the proxy: none went around it.
      const accepted = [...s3Front.clientPorts, ...cloudFrontFront.clientPorts];
      expect(accepted.length).toBeGreaterThan(0);
      expect(accepted.filter((port) => !proxy.upstreamPorts.has(port))).toEqual([]);
      await arrivedWhole(launch);
      // Once, though S3 and CloudFront each have a client.
      const lines = run.stdout.split('\n');
      expect(lines.filter((line) => line.startsWith('Proxy:'))).toEqual([
        expect.stringContaining('Proxy: https requests through http://deploy:***@127.0.0.1'),
      ]);
      // Masked like the AWS secrets: the runner hides it in every later line, and no line shows it.
      expect(lines).toContain('::add-mask::pr0xy-secret');
      expect(lines.filter((line) => !line.startsWith('::add-mask::') && line.includes('pr0xy-secret'))).toEqual([]);
    } finally {
      for (const front of fronts) await front.close();
    }
  });

  withNode24('sends plain-http requests through HTTP_PROXY, video parts too', async () => {
    const recut = video(11);
    const source = await writeSite({ ...site, 'index.html': 'home v2', 'media/launch.mp4': recut });
    local.proxy.reset();
    const cloudFrontBefore = local.cloudFront.requests.length;
    const run = await local.deploy({ source, ...toProxied }, { HTTP_PROXY: proxy.url }, { node: NODE24 as string });
    expect(run.exitCode).toBe(0);

    const through = (host: string) => proxy.passages.filter((passage) => passage.target === host).length;
    const s3Requests = Object.values(local.proxy.counts()).reduce((sum, count) => sum + count, 0);
    expect(s3Requests).toBeGreaterThan(0);
    expect(through(s3Host())).toBe(s3Requests);
    expect(through(cloudFrontHost())).toBe(local.cloudFront.requests.length - cloudFrontBefore);
    expect(through(cloudFrontHost())).toBeGreaterThan(0);
    await arrivedWhole(recut);
  });

  withNode24('goes direct to hosts in NO_PROXY', async () => {
    const source = await writeSite({ ...site, 'index.html': 'home v3' });
    const run = await local.deploy(
      { source, ...toProxied },
      { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
      { node: NODE24 as string },
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs['invalidation-status']).toBe('InProgress');
    expect(proxy.passages).toEqual([]);
  });

  if (!nodeHasProxySupport(process.version)) {
    it(`says so on a Node.js without proxy support (${process.version}), and connects directly`, async () => {
      const source = await writeSite({ ...site, 'index.html': 'home v4' });
      const run = await local.deploy({ source, ...toProxied }, { HTTP_PROXY: proxy.url });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(
        /::warning::A proxy is set \(http requests through .*\) but Node.js v\d+.* cannot use one/,
      );
      expect(proxy.passages).toEqual([]);
    });
  }
});
