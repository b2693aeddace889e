import path from 'node:path';
import { ActionError } from '../src/errors.js';
import { DEFAULT_CONCURRENCY, DEFAULT_WAIT_TIMEOUT_SECONDS, parseInputs } from '../src/inputs.js';

const minimal = { source: 'public', bucket: 'my-site' };
const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';
const parse = (values: Record<string, string>, env: Record<string, string> = {}) =>
  parseInputs(reader({ ...minimal, ...values }), '/workspace', env);

function expectInputError(values: Record<string, string>, pattern: RegExp): void {
  let thrown: unknown;
  try {
    parse(values);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ActionError);
  expect((thrown as Error).message).toMatch(pattern);
}

describe('parseInputs', () => {
  it('applies the documented defaults', () => {
    expect(parse({})).toEqual({
      source: path.resolve('/workspace', 'public'),
      bucket: 'my-site',
      prefix: '',
      distributionIds: [],
      paths: ['/*'],
      maxInvalidationPaths: 15,
      maxDeletes: 1000,
      headerRules: { cacheControl: [], contentType: [], contentEncoding: [] },
      include: [],
      exclude: [],
      force: false,
      wait: false,
      waitTimeoutSeconds: DEFAULT_WAIT_TIMEOUT_SECONDS,
      delete: false,
      concurrency: DEFAULT_CONCURRENCY,
      region: '',
      forcePathStyle: false,
      dryRun: false,
      deleteAfterMs: 7 * 24 * 3600 * 1000,
      maxDeleteShare: 50,
      lockTimeoutSeconds: 300,
      teardown: false,
    });
  });

  it('reads the deploy-state inputs', () => {
    expect(
      parse({
        'delete-after': '36h',
        'max-delete-share': '80%',
        'lock-timeout': '60',
        'server-side-encryption': 'aws:kms',
        'sse-kms-key-id': 'arn:aws:kms:eu-west-1:123456789012:key/abc',
      }),
    ).toMatchObject({
      deleteAfterMs: 36 * 3600 * 1000,
      maxDeleteShare: 80,
      lockTimeoutSeconds: 60,
      encryption: { serverSideEncryption: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/abc' },
    });
    expect(parse({ 'delete-after': '0' }).deleteAfterMs).toBe(0);
    // A teardown needs no source, and implies delete.
    expect(parse({ source: '', prefix: 'pr-7', teardown: 'true' })).toMatchObject({ teardown: true, delete: true });
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ 'delete-after': '7 days' }, /'delete-after' must be a duration like 7d/],
    [{ 'max-delete-share': '0%' }, /'max-delete-share' must be a percentage from 1% to 100%/],
    [{ 'server-side-encryption': 'kms' }, /must be one of AES256, aws:kms, aws:kms:dsse/],
    [{ 'sse-kms-key-id': 'abc' }, /needs 'server-side-encryption: aws:kms'/],
    [{ teardown: 'true' }, /'prefix' is empty: that would be the whole bucket/],
  ])('refuses %p', (inputs, message) => {
    expect(() => parse(inputs)).toThrow(message);
  });

  it('reads every input', () => {
    const settings = parse({
      source: '/abs/build',
      prefix: 'site',
      'distribution-id': 'E1A2B3C4D5E6F7',
      paths: '/index.html\n/docs/my page.html\n\n/assets/*\n',
      wait: 'true',
      'wait-timeout': '30',
      delete: 'True',
      concurrency: '4',
      region: 'eu-west-2',
      'force-path-style': 'TRUE',
      'dry-run': 'false',
      'max-invalidation-paths': '40',
      'max-deletes': '-1',
      'cache-control': '**/*.html: no-cache\nassets/**: public, max-age=31536000, immutable',
      'content-type': '*.rss: application/rss+xml',
      'content-encoding': 'assets/**/*.js: gzip',
      include: '**/*.html\nassets/**',
      exclude: '**/*.map',
      force: 'true',
    });
    expect(settings).toMatchObject({
      source: '/abs/build',
      prefix: 'site/',
      distributionIds: ['E1A2B3C4D5E6F7'],
      maxInvalidationPaths: 40,
      maxDeletes: Number.POSITIVE_INFINITY,
      headerRules: {
        cacheControl: [
          { glob: '**/*.html', value: 'no-cache' },
          { glob: 'assets/**', value: 'public, max-age=31536000, immutable' },
        ],
        contentType: [{ glob: '*.rss', value: 'application/rss+xml' }],
        contentEncoding: [{ glob: 'assets/**/*.js', value: 'gzip' }],
      },
      include: ['**/*.html', 'assets/**'],
      exclude: ['**/*.map'],
      force: true,
      paths: ['/index.html', '/docs/my page.html', '/assets/*'],
      wait: true,
      waitTimeoutSeconds: 30,
      delete: true,
      concurrency: 4,
      region: 'eu-west-2',
      forcePathStyle: true,
      dryRun: false,
    });
  });

  it('reads paths: auto, several distributions, and a cache-control value for every file', () => {
    const settings = parse({
      paths: 'auto',
      'distribution-id': 'E1A2B3C4D5E6F7\nEAAAAAAAAAAAAA\n',
      'cache-control': 'public, max-age=300',
    });
    expect(settings.paths).toBe('auto');
    expect(settings.distributionIds).toEqual(['E1A2B3C4D5E6F7', 'EAAAAAAAAAAAAA']);
    expect(settings.headerRules.cacheControl).toEqual([{ glob: '**', value: 'public, max-age=300' }]);
  });

  it('reads cache-control: auto after the glob rules, with a class changed, in the order the state records', () => {
    const settings = parse({
      'cache-control': 'auto\ndownloads/**: public, max-age=86400\nauto:other: public, max-age=3600',
    });
    expect(Object.keys(settings.headerRules)).toEqual([
      'cacheControl',
      'contentType',
      'contentEncoding',
      'cacheControlAuto',
    ]);
    expect(settings.headerRules.cacheControl).toEqual([{ glob: 'downloads/**', value: 'public, max-age=86400' }]);
    expect(settings.headerRules.cacheControlAuto?.values.other).toBe('public, max-age=3600');
    expect(parse({}).headerRules.cacheControlAuto).toBeUndefined();
  });

  it.each([
    ['site', 'site/'],
    ['site/', 'site/'],
    ['/site/', 'site/'],
    ['docs/v2', 'docs/v2/'],
    ['/', ''],
    ['', ''],
  ])('normalises prefix %p to %p', (prefix, expected) => {
    expect(parse({ prefix }).prefix).toBe(expected);
  });

  it.each(['us-east-1', 'eu-west-2', 'us-gov-west-1', 'cn-north-1', 'eusc-de-east-1', 'mx-central-1'])(
    'accepts the AWS region %p',
    (region) => {
      expect(parse({ region }).region).toBe(region);
    },
  );

  const store = { AWS_ENDPOINT_URL_S3: 'https://s3.example.com' };
  it.each(['auto', 'fr-par', 'nl-ams', 'nyc3', 'garage', 'us-west-004', 'fsn1', 'my-minio-site', 'us-east-1'])(
    'accepts the region %p behind AWS_ENDPOINT_URL_S3 (an S3-compatible store names its own)',
    (region) => {
      expect(parse({ region }, store).region).toBe(region);
      expect(parse({ region }, { AWS_ENDPOINT_URL: 'http://minio:9000' }).region).toBe(region);
    },
  );

  it.each<[string, Record<string, string>, RegExp]>([
    ['fr-par', {}, /'region' must be an AWS region like us-east-1.*got 'fr-par'.*AWS_ENDPOINT_URL_S3/],
    ['eu-central', {}, /'region' must be an AWS region like us-east-1 or eu-central-1, got 'eu-central'/],
    ['xx-east-1', {}, /'region' must be an AWS region/],
    ['EU-WEST-1', store, /'region' must be .*lower-case.* Did you mean 'eu-west-1'\?/],
    ['Fr-Par', store, /'region' must be a region name of lower-case letters.*got 'Fr-Par'\.$/],
  ])('rejects the region %p (endpoint: %p)', (region, env, pattern) => {
    expect(() => parse({ region }, env)).toThrow(pattern);
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ source: '' }, /'source' is required/],
    [{ bucket: ' ' }, /'bucket' is required/],
    [{ bucket: 's3://my-site' }, /'bucket' must be a bucket name only.*'prefix'/],
    [{ bucket: 'My_Site' }, /'bucket' is not a valid S3 bucket name: 'My_Site'/],
    [{ bucket: 'ab' }, /'bucket' is not a valid/],
    [{ bucket: '192.168.0.1' }, /'bucket' is not a valid/],
    [{ wait: 'yes', 'distribution-id': 'E1A2B3C4D5E6F7' }, /'wait' must be true or false, got 'yes'/],
    [{ delete: 'maybe' }, /'delete' must be true or false/],
    [{ wait: 'true' }, /'wait' is true but 'distribution-id' is empty/],
    [{ 'wait-timeout': '10m' }, /'wait-timeout' must be a whole number, got '10m'/],
    [{ 'wait-timeout': '0' }, /'wait-timeout' must be between 1 and/],
    [{ concurrency: '-2' }, /'concurrency' must be between 1 and 256, got -2/],
    [{ concurrency: '1.5' }, /'concurrency' must be a whole number/],
    [{ 'distribution-id': 'd-123' }, /'distribution-id' must be a CloudFront distribution id/],
    [{ paths: 'index.html' }, /'paths': 'index.html' must start with '\/'/],
    [{ paths: '/a/*/b' }, /'paths': '\/a\/\*\/b' has a '\*' before the end/],
    [
      { region: 'Frankfurt' },
      /'region' must be a region name of lower-case letters, digits and dashes.*got 'Frankfurt'\.$/,
    ],
    [{ region: 'EU-WEST-1' }, /'region' must be .*lower-case.* Did you mean 'eu-west-1'\?/],
    [{ region: 'eu west 1' }, /'region' must be .* Did you mean 'eu-west-1'\?/],
    [{ region: 'eu_west_1' }, /Did you mean 'eu-west-1'\?/],
    [{ region: 'eu-west-1-' }, /'region' must be a region name/],
    [{ region: 'https://s3.fr-par.scw.cloud' }, /'region' is a region name, not an endpoint.*AWS_ENDPOINT_URL_S3/],
    [{ region: 's3.fr-par.scw.cloud' }, /not an endpoint.*AWS_ENDPOINT_URL_S3/],
    [{ region: 'minio:9000' }, /not an endpoint.*AWS_ENDPOINT_URL_S3/],
    [{ region: 'arn:aws:s3:::my-site' }, /'region' is a region name like eu-west-1, not an ARN/],
    [{ prefix: 'a/../b' }, /'prefix' must be a plain key prefix/],
    [{ 'distribution-id': 'E1A2B3C4D5E6F7\nbad' }, /'distribution-id' must be .* got 'bad'/],
    [{ 'max-deletes': '-5' }, /'max-deletes' must be 0 or more, or -1 for no cap, got -5/],
    [{ 'max-invalidation-paths': '5000' }, /'max-invalidation-paths' must be between 1 and 3000/],
    [{ exclude: 'assets/[' }, /Input 'exclude': 'assets\/\[' is not a valid glob/],
    [{ 'cache-control': '*.{html: no-cache' }, /Input 'cache-control': '\*\.\{html' is not a valid glob/],
    [{ force: 'on' }, /'force' must be true or false/],
    [{ 'cache-control': 'auto\nauto:pages: no-cache' }, /Input 'cache-control': 'auto:pages: no-cache' names no class/],
  ])('rejects %p', (values, pattern) => {
    expectInputError(values, pattern);
  });
});
