/**
 * The local CloudFront server speaks the real 2020-05-31 wire protocol: proven with Debian's AWS CLI v2
 * (a separate implementation, botocore) and with the JS SDK the action uses.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
  waitUntilInvalidationCompleted,
} from '@aws-sdk/client-cloudfront';
import { type LocalCloudFrontServer, startCloudFrontServer } from '../local/cloudfront-server.mjs';

/** Debian's AWS CLI v2 (a pyenv v1 may come first on PATH); AWS_CLI points elsewhere, e.g. on GitHub runners. */
const AWS_CLI = process.env.AWS_CLI ?? '/usr/bin/aws';
const DISTRIBUTION = 'E2EXAMPLE0000';
const CUSTOM_POLICY = '11111111-2222-3333-4444-555555555555';
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
let server: LocalCloudFrontServer;

beforeAll(async () => {
  server = await startCloudFrontServer({
    completeAfterMs: 300,
    distributions: [
      {
        id: DISTRIBUTION,
        bucketDomain: 'my-site.s3.eu-west-1.amazonaws.com',
        originPath: '/live',
        behaviors: [{ pathPattern: '/legacy/*', legacyTtls: { min: 60, max: 600 } }],
      },
    ],
    cachePolicies: [{ id: CUSTOM_POLICY, name: 'site-pages', minTtl: 0, defaultTtl: 300, maxTtl: 86400 }],
  });
});
afterAll(() => server.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The parts of the CLI's JSON output the tests read. */
interface CliInvalidation {
  Location?: string;
  Invalidation: { Id: string; Status: string; InvalidationBatch: { Paths: { Items: string[] } } };
}
interface CliDistributionConfig {
  DistributionConfig: {
    Origins: { Items: Array<{ DomainName: string; OriginPath: string }> };
    DefaultCacheBehavior: { CachePolicyId?: string };
    CacheBehaviors: { Items: Array<{ PathPattern: string; MinTTL?: number; MaxTTL?: number }> };
  };
}
interface CliCachePolicy {
  CachePolicy: { Id: string; CachePolicyConfig: { Name: string; MinTTL: number; DefaultTTL: number; MaxTTL: number } };
}

describe('with the AWS CLI', () => {
  function aws(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    return new Promise((resolve) => {
      execFile(
        AWS_CLI,
        ['--endpoint-url', server.url, '--output', 'json', 'cloudfront', ...args],
        { env },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  beforeAll(() => {
    if (!fs.existsSync(AWS_CLI))
      throw new Error(`${AWS_CLI} is missing: install Debian's AWS CLI (apt-get install -y awscli).`);
  });

  it('creates, gets and waits for an invalidation', async () => {
    const created = await aws(
      'create-invalidation',
      '--distribution-id',
      DISTRIBUTION,
      '--paths',
      '/index.html',
      '/docs/my%20page.html',
      '/assets/*',
    );
    expect(created.code).toBe(0);
    const output = JSON.parse(created.stdout) as CliInvalidation;
    const invalidation = output.Invalidation;
    expect(invalidation.Id).toMatch(/^I[A-Z0-9]{13}$/);
    expect(invalidation.Status).toBe('InProgress');
    expect(invalidation.InvalidationBatch.Paths.Items).toEqual(['/index.html', '/docs/my%20page.html', '/assets/*']);
    expect(output.Location).toBe(
      `${server.url}/2020-05-31/distribution/${DISTRIBUTION}/invalidation/${invalidation.Id}`,
    );
    expect(server.invalidations(DISTRIBUTION).find((i) => i.id === invalidation.Id)?.paths).toEqual([
      '/index.html',
      '/docs/my%20page.html',
      '/assets/*',
    ]);

    const fetched = await aws('get-invalidation', '--distribution-id', DISTRIBUTION, '--id', invalidation.Id);
    expect((JSON.parse(fetched.stdout) as CliInvalidation).Invalidation.Id).toBe(invalidation.Id);

    // botocore's waiter polls first, then sleeps 20 s: let the invalidation complete before asking.
    await sleep(400);
    const waited = await aws(
      'wait',
      'invalidation-completed',
      '--distribution-id',
      DISTRIBUTION,
      '--id',
      invalidation.Id,
    );
    expect(waited).toMatchObject({ code: 0, stderr: '' });
  });

  it('reads the distribution config with its origin and cache behaviours', async () => {
    const result = await aws('get-distribution-config', '--id', DISTRIBUTION);
    expect(result.code).toBe(0);
    const config = (JSON.parse(result.stdout) as CliDistributionConfig).DistributionConfig;
    expect(config.Origins.Items[0]).toMatchObject({
      DomainName: 'my-site.s3.eu-west-1.amazonaws.com',
      OriginPath: '/live',
    });
    expect(config.DefaultCacheBehavior.CachePolicyId).toBe(CACHING_OPTIMIZED);
    expect(config.CacheBehaviors.Items).toEqual([
      expect.objectContaining({ PathPattern: '/legacy/*', MinTTL: 60, MaxTTL: 600 }),
    ]);
  });

  it('reads a cache policy, managed or not', async () => {
    const managed = await aws('get-cache-policy', '--id', CACHING_OPTIMIZED);
    expect(managed.code).toBe(0);
    expect((JSON.parse(managed.stdout) as CliCachePolicy).CachePolicy).toMatchObject({
      Id: CACHING_OPTIMIZED,
      CachePolicyConfig: { Name: 'Managed-CachingOptimized', MinTTL: 1, DefaultTTL: 86400, MaxTTL: 31536000 },
    });
    const custom = await aws('get-cache-policy', '--id', CUSTOM_POLICY);
    expect((JSON.parse(custom.stdout) as CliCachePolicy).CachePolicy.CachePolicyConfig).toMatchObject({
      Name: 'site-pages',
      MinTTL: 0,
      DefaultTTL: 300,
      MaxTTL: 86400,
    });
    const missing = await aws('get-cache-policy', '--id', 'no-such-policy');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('NoSuchCachePolicy');
  });

  it('answers an unknown distribution with NoSuchDistribution', async () => {
    const result = await aws('create-invalidation', '--distribution-id', 'EUNKNOWN00000', '--paths', '/x');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('NoSuchDistribution');
  });
});

describe('with the JS SDK', () => {
  const client = (region = 'us-east-1', accessKeyId = 'test') =>
    new CloudFrontClient({
      endpoint: server.url,
      region,
      maxAttempts: 1,
      credentials: { accessKeyId, secretAccessKey: 'test' },
    });
  const create = (paths: string[], callerReference: string, region?: string, accessKeyId?: string) =>
    client(region, accessKeyId).send(
      new CreateInvalidationCommand({
        DistributionId: DISTRIBUTION,
        InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: paths.length, Items: paths } },
      }),
    );

  it('creates an invalidation of one path and of several', async () => {
    const one = await create(['/index.html'], 'sdk-one');
    expect(one.Invalidation?.InvalidationBatch?.Paths?.Items).toEqual(['/index.html']);
    const several = await create(['/a', '/b/*'], 'sdk-several');
    expect(several.Invalidation?.InvalidationBatch?.Paths?.Items).toEqual(['/a', '/b/*']);
    expect(several.Location).toContain(several.Invalidation?.Id);
  });

  it('returns the same invalidation for a repeated CallerReference, and refuses other paths under it', async () => {
    const first = await create(['/same'], 'sdk-repeat');
    const again = await create(['/same'], 'sdk-repeat');
    expect(again.Invalidation?.Id).toBe(first.Invalidation?.Id);
    await expect(create(['/other'], 'sdk-repeat')).rejects.toMatchObject({ name: 'InvalidationBatchAlreadyExists' });
  });

  it('rejects invalid paths, injected errors and a request not signed for us-east-1', async () => {
    await expect(create(['no-slash'], 'sdk-invalid')).rejects.toMatchObject({ name: 'InvalidArgument' });
    server.failNext('CreateInvalidation', 'TooManyInvalidationsInProgress');
    await expect(create(['/x'], 'sdk-injected')).rejects.toMatchObject({
      name: 'TooManyInvalidationsInProgress',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(create(['/x'], 'sdk-region', 'eu-west-1')).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    await expect(create(['/x'], 'sdk-key', 'us-east-1', 'INVALIDKEY')).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      client().send(new GetInvalidationCommand({ DistributionId: DISTRIBUTION, Id: 'INOSUCHINVALID' })),
    ).rejects.toMatchObject({ name: 'NoSuchInvalidation', $metadata: { httpStatusCode: 404 } });
    expect((await create(['/x'], 'sdk-after')).Invalidation?.Status).toBe('InProgress');
  });

  it('counts wildcards in progress against the limit of 15', async () => {
    const busy = await startCloudFrontServer({ completeAfterMs: 60_000, distributions: [{ id: DISTRIBUTION }] });
    try {
      const send = (paths: string[], ref: string) =>
        new CloudFrontClient({
          endpoint: busy.url,
          region: 'us-east-1',
          maxAttempts: 1,
          credentials: { accessKeyId: 'k', secretAccessKey: 's' },
        }).send(
          new CreateInvalidationCommand({
            DistributionId: DISTRIBUTION,
            InvalidationBatch: { CallerReference: ref, Paths: { Quantity: paths.length, Items: paths } },
          }),
        );
      await send(
        Array.from({ length: 15 }, (_, i) => `/d${i}/*`),
        'fifteen',
      );
      await expect(send(['/more/*'], 'sixteenth')).rejects.toMatchObject({ name: 'TooManyInvalidationsInProgress' });
    } finally {
      await busy.close();
    }
  });

  it('completes, as the SDK waiter sees it', async () => {
    const created = await create(['/wait'], 'sdk-wait');
    const result = await waitUntilInvalidationCompleted(
      { client: client(), maxWaitTime: 10, minDelay: 1, maxDelay: 1 },
      { DistributionId: DISTRIBUTION, Id: created.Invalidation?.Id },
    );
    expect(result.state).toBe('SUCCESS');
  });

  it('reads the origin and lists invalidations newest first', async () => {
    const config = await client().send(new GetDistributionConfigCommand({ Id: DISTRIBUTION }));
    expect(config.ETag).toBeTruthy();
    expect(config.DistributionConfig?.Origins?.Items?.[0]).toMatchObject({
      DomainName: 'my-site.s3.eu-west-1.amazonaws.com',
      OriginPath: '/live',
    });
    const list = await client().send(new ListInvalidationsCommand({ DistributionId: DISTRIBUTION }));
    const stored = server.invalidations(DISTRIBUTION);
    expect(list.InvalidationList?.Quantity).toBe(stored.length);
    expect(list.InvalidationList?.Items?.[0]?.Id).toBe(stored[stored.length - 1]?.id);
  });
});

describe('on the wire', () => {
  const AUTHORIZATION =
    'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature=0';
  const send = async (method: string, path: string, body?: string, authorization: string | null = AUTHORIZATION) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body }),
      headers: authorization ? { authorization } : {},
    });
    return {
      status: response.status,
      body: await response.text(),
      requestId: response.headers.get('x-amzn-requestid'),
    };
  };
  const batch = (quantity: number, paths: string[]) =>
    `<InvalidationBatch><Paths><Quantity>${quantity}</Quantity><Items>${paths.map((p) => `<Path>${p}</Path>`).join('')}` +
    `</Items></Paths><CallerReference>wire-${Math.random()}</CallerReference></InvalidationBatch>`;
  const invalidate = (body?: string) => send('POST', `/2020-05-31/distribution/${DISTRIBUTION}/invalidation`, body);
  const config = `/2020-05-31/distribution/${DISTRIBUTION}/config`;
  const manyPaths = Array.from({ length: 3001 }, (_, i) => `/p${i}`);

  it.each([
    ['a Quantity unlike the paths', 'InconsistentQuantities', 400, () => invalidate(batch(2, ['/one']))],
    ['no body', 'MissingBody', 400, () => invalidate()],
    ['unclosed XML', 'MalformedInput', 400, () => invalidate('<InvalidationBatch><Paths>')],
    ['a * before the end', 'InvalidArgument', 400, () => invalidate(batch(1, ['/a*b']))],
    ['a path over 4000 characters', 'InvalidArgument', 400, () => invalidate(batch(1, [`/${'x'.repeat(4000)}`]))],
    ['3001 paths', 'BatchTooLarge', 413, () => invalidate(batch(3001, manyPaths))],
    ['a bad %-escape', 'InvalidArgument', 400, () => send('GET', '/2020-05-31/distribution/%E0%A4%A/config')],
    ['no Authorization', 'MissingAuthenticationToken', 403, () => send('GET', config, undefined, null)],
    ['an unknown route', 'NoSuchResource', 404, () => send('DELETE', `/2020-05-31/distribution/${DISTRIBUTION}`)],
  ] as const)('answers %s with %s (%d) in the ErrorResponse format', async (_reason, code, status, request) => {
    const response = await request();
    expect(response.status).toBe(status);
    expect(response.body).toContain(`<Error><Type>Sender</Type><Code>${code}</Code>`);
    expect(response.body).toContain(`<RequestId>${response.requestId}</RequestId>`);
  });
});

describe('faults aimed at one distribution', () => {
  const ONE = 'EONE000000001';
  const TWO = 'ETWO000000001';
  let faulty: LocalCloudFrontServer;
  beforeAll(async () => {
    faulty = await startCloudFrontServer({
      completeAfterMs: 0,
      distributions: [{ id: ONE, completeAfterMs: 60_000 }, { id: TWO }],
    });
  });
  afterAll(() => faulty.close());

  const client = () =>
    new CloudFrontClient({
      endpoint: faulty.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  const create = (distributionId: string, callerReference: string) =>
    client().send(
      new CreateInvalidationCommand({
        DistributionId: distributionId,
        InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: 1, Items: ['/x'] } },
      }),
    );

  it("fails only that distribution's calls, and each distribution completes on its own clock", async () => {
    faulty.failNext('CreateInvalidation', 'AccessDenied', { distributionId: TWO });
    const one = await create(ONE, 'aimed-1');
    await expect(create(TWO, 'aimed-2')).rejects.toMatchObject({ name: 'AccessDenied' });
    const two = await create(TWO, 'aimed-2');
    await sleep(50);
    const status = async (distributionId: string, id: string | undefined) =>
      (await client().send(new GetInvalidationCommand({ DistributionId: distributionId, Id: id })))?.Invalidation
        ?.Status;
    expect(await status(ONE, one.Invalidation?.Id)).toBe('InProgress');
    expect(await status(TWO, two.Invalidation?.Id)).toBe('Completed');
  });

  it('can answer with an error after the operation took effect, as when the response is lost', async () => {
    faulty.failNext('CreateInvalidation', 'InternalError', { distributionId: ONE, afterHandling: true });
    const before = faulty.invalidations(ONE).length;
    await expect(create(ONE, 'lost-answer')).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    const made = faulty.invalidations(ONE).slice(before);
    expect(made).toHaveLength(1);
    expect((await create(ONE, 'lost-answer')).Invalidation?.Id).toBe(made[0]?.id);
  });

  it("delays only that distribution's answers", async () => {
    faulty.delayNext('CreateInvalidation', 1000, { distributionId: ONE });
    const finished: string[] = [];
    await Promise.all([
      create(ONE, 'delayed').then(() => finished.push(ONE)),
      create(TWO, 'not-delayed').then(() => finished.push(TWO)),
    ]);
    expect(finished).toEqual([TWO, ONE]);
  });
});
