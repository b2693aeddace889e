/**
 * Whether a distribution's cache policies honour `cache-control: auto`: the TTL arithmetic CloudFront
 * documents (pure), and reading the behaviours and policies from the local CloudFront server.
 */
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { type ServingBehaviour, behavioursServing, describeDistribution } from '../src/cloudfront.js';
import {
  type BuildFile,
  type EdgePolicies,
  classesServed,
  edgePolicyReport,
  edgeTtl,
  pathPatternMatcher,
  requestedEdgeTtl,
} from '../src/edge-cache.js';
import { AUTO_CACHE_CONTROL } from '../src/headers.js';
import { type LocalCloudFrontServer, startCloudFrontServer } from '../local/cloudfront-server.mjs';

const CACHING_OPTIMIZED = { min: 1, default: 86_400, max: 31_536_000 };
const EVERY_CLASS: BuildFile[] = [
  { key: 'index.html', fileClass: 'entry-point' },
  { key: 'sw.js', fileClass: 'service-worker' },
  { key: 'assets/app-3f2a9b1c.js', fileClass: 'fingerprinted' },
  { key: 'logo.png', fileClass: 'other' },
];

describe('the edge TTL of a Cache-Control value', () => {
  it.each<[string, number | undefined]>([
    ['public, max-age=31536000, immutable', 31_536_000],
    ['public, max-age=0, s-maxage=60, must-revalidate', 60],
    ['max-age=300', 300],
    ['no-cache', 0],
    ['private, max-age=600', 0],
    ['no-store', 0],
    ['public', undefined],
  ])('%p asks the edges for %p s', (value, seconds) => expect(requestedEdgeTtl(value)).toBe(seconds));

  it('is bounded by the policy: the minimum lengthens, the maximum caps, the default fills in', () => {
    expect(edgeTtl('public, max-age=0, s-maxage=60, must-revalidate', CACHING_OPTIMIZED)).toBe(60);
    expect(edgeTtl('no-cache', CACHING_OPTIMIZED)).toBe(1);
    expect(edgeTtl('no-cache', { min: 0, default: 0, max: 31_536_000 })).toBe(0);
    expect(edgeTtl('public, max-age=31536000, immutable', { min: 0, default: 86_400, max: 86_400 })).toBe(86_400);
    expect(edgeTtl('public', CACHING_OPTIMIZED)).toBe(86_400);
  });
});

describe('which files a behaviour serves', () => {
  it.each<[string, string, boolean]>([
    ['*', '/', true],
    ['*', '/a/b/c.html', true],
    ['/assets/*', '/assets/app.js', true],
    ['assets/*', '/assets/app.js', true], // the leading '/' is optional
    ['/assets/*', '/Assets/app.js', false], // case-sensitive
    ['/assets/*', '/assets', false],
    ['*.html', '/docs/page.html', true], // '*' crosses '/'
    ['/img/?.png', '/img/a.png', true],
    ['/img/?.png', '/img/ab.png', false],
    ['/a.b/*', '/axb/c', false], // '.' is itself
    ['/notes#1.html', '/notes#1.html', true],
  ])('the pattern %p matches %p: %p', (pattern, url, expected) => {
    expect(pathPatternMatcher(pattern)(url)).toBe(expected);
  });

  const at = (pathPattern: string, before: string[], originPrefix = ''): ServingBehaviour => ({
    pathPattern,
    before,
    originPrefix,
    source: 'cache policy site',
    ttls: CACHING_OPTIMIZED,
  });
  const files: BuildFile[] = [
    { key: 'site/index.html', fileClass: 'entry-point' },
    { key: 'site/docs/index.html', fileClass: 'entry-point' },
    { key: 'site/_next/static/chunks/main-3f2a9b1c4d5e6f70.js', fileClass: 'fingerprinted' },
    { key: 'site/logo.png', fileClass: 'other' },
    { key: 'other-site/sw.js', fileClass: 'service-worker' },
  ];
  const classes = (behaviour: ServingBehaviour) => [...(classesServed([behaviour], files).get(behaviour) ?? [])].sort();

  it('gives an ordered behaviour what its pattern matches, and the default the rest, first match winning', () => {
    expect(classes(at('/_next/static/*', [], 'site/'))).toEqual(['fingerprinted']);
    expect(classes(at('*', ['/_next/static/*'], 'site/'))).toEqual(['entry-point', 'other']);
    // A behaviour tried first takes its URLs, whatever origin it sends them to.
    expect(classes(at('*', ['/_next/static/*', '*.png'], 'site/'))).toEqual(['entry-point']);
    expect(classes(at('/_next/static/*', ['/_next/*'], 'site/'))).toEqual([]);
  });

  it("maps keys through its origin's prefix, and serves a page under its directory's URL too", () => {
    expect(classes(at('*', [], 'other-site/'))).toEqual(['service-worker']);
    // 'site/docs/index.html' is requested as '/docs/' (an index rewrite) as well as '/docs/index.html'.
    expect(classes(at('/docs/', [], 'site/'))).toEqual(['entry-point']);
    expect(classes(at('*.html', [], 'site/'))).toEqual(['entry-point']);
  });
});

describe('edgePolicyReport', () => {
  const behaviour = (ttls: ServingBehaviour['ttls'], pathPattern = '*'): ServingBehaviour => ({
    pathPattern,
    before: [],
    originPrefix: '',
    source: 'cache policy site',
    ...(ttls ? { ttls } : {}),
  });
  const report = (policies: EdgePolicies[], present = EVERY_CLASS) =>
    edgePolicyReport(policies, AUTO_CACHE_CONTROL, present);

  it("says so when the policy honours every class (CachingOptimized's 1 s minimum is below 60 s)", () => {
    expect(report([{ distributionId: 'E1', behaviours: [behaviour(CACHING_OPTIMIZED)] }])).toEqual([
      { level: 'info', message: "E1: behaviour '*' (cache policy site) honours 'cache-control: auto'." },
    ]);
  });

  it('warns when a minimum TTL keeps pages longer than their s-maxage, with the fix', () => {
    const lines = report([
      { distributionId: 'E1', behaviours: [behaviour({ min: 3600, default: 86_400, max: 31_536_000 })] },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('warning');
    expect(lines[0]?.message).toMatch(
      /^E1: behaviour '\*' \(cache policy site\): its minimum TTL \(3600 s\) keeps entry points \(pages, feeds\) at the edges 3600 s, not the 60 s of 'public, max-age=0, s-maxage=60, must-revalidate', so a deploy without an invalidation reaches visitors only after 3600 s; set the minimum TTL to 0;/,
    );
    expect(lines[0]?.message).toContain('keeps service workers at the edges 3600 s');
    expect(lines[0]?.message).toContain(
      "keeps other files at the edges 3600 s, not the 300 s of 'public, max-age=300'",
    );
  });

  it('warns when a maximum TTL caps the year of fingerprinted files, and only for classes the build has', () => {
    const capped = behaviour({ min: 0, default: 3600, max: 86_400 }, '/assets/*');
    const lines = report([{ distributionId: 'E1', behaviours: [capped] }]);
    expect(lines.map((line) => line.message)).toEqual([
      "E1: behaviour '/assets/*' (cache policy site): its maximum TTL (86400 s) caps the 31536000 s of 'public, max-age=31536000, immutable' for fingerprinted files: edges ask S3 for them again every 86400 s; raise the maximum TTL to 31536000.",
    ]);
    const noHashes = report(
      [{ distributionId: 'E1', behaviours: [capped] }],
      EVERY_CLASS.filter((file) => file.fileClass !== 'fingerprinted'),
    );
    expect(noHashes.map((line) => line.level)).toEqual(['info']);
  });

  it("checks a behaviour only against the classes of the files it serves (Next.js's hashed '/_next/static/*')", () => {
    const year = { min: 31_536_000, default: 31_536_000, max: 31_536_000 };
    const files: BuildFile[] = [
      { key: 'index.html', fileClass: 'entry-point' },
      { key: '_next/static/chunks/main-3f2a9b1c4d5e6f70.js', fileClass: 'fingerprinted' },
    ];
    const hashed = { ...behaviour(year, '/_next/static/*') };
    const pages = { ...behaviour(CACHING_OPTIMIZED), before: ['/_next/static/*'] };
    expect(report([{ distributionId: 'E1', behaviours: [hashed, pages] }], files)).toEqual([
      {
        level: 'info',
        message:
          "E1: behaviour '/_next/static/*' (cache policy site), '*' (cache policy site) honours 'cache-control: auto'.",
      },
    ]);
    // The same year on the default behaviour does keep pages: that one is still reported.
    const lines = report(
      [
        {
          distributionId: 'E1',
          behaviours: [
            { ...hashed, ttls: CACHING_OPTIMIZED },
            { ...pages, ttls: year },
          ],
        },
      ],
      files,
    );
    expect(lines.map((line) => line.level)).toEqual(['warning']);
    expect(lines[0]?.message).toMatch(
      /^E1: behaviour '\*' \(cache policy site\): its minimum TTL \(31536000 s\) keeps entry points/,
    );
    expect(lines[0]?.message).not.toContain('fingerprinted');
  });

  it('only warns, naming the permission, when the policy or the distribution cannot be read', () => {
    const denied = Object.assign(new Error('denied'), { name: 'AccessDenied' });
    const lines = report([
      {
        distributionId: 'E1',
        behaviours: [{ pathPattern: '*', before: [], originPrefix: '', source: 'cache policy abc', error: denied }],
      },
      { distributionId: 'E2', error: denied },
    ]);
    expect(lines).toEqual([
      {
        level: 'warning',
        message:
          "E1: behaviour '*' (cache policy abc) could not be read (not allowed: grant cloudfront:GetCachePolicy).",
      },
      {
        level: 'warning',
        message:
          "Could not read E2's cache behaviours to check that they honour 'cache-control: auto' (not allowed: grant cloudfront:GetCachePolicy).",
      },
    ]);
  });
});

describe('behavioursServing, against the local CloudFront server', () => {
  const POLICY = '11111111-2222-3333-4444-555555555555';
  let server: LocalCloudFrontServer;
  let client: CloudFrontClient;
  beforeAll(async () => {
    server = await startCloudFrontServer({
      distributions: [
        {
          id: 'EMANAGED00001',
          bucketDomain: 'site.s3.eu-west-1.amazonaws.com',
          behaviors: [
            { pathPattern: '/api/*', targetOriginId: 'api-origin', cachePolicyId: POLICY },
            { pathPattern: '/old/*', legacyTtls: { min: 120 } },
          ],
        },
        {
          id: 'ECUSTOM000001',
          bucketDomain: 'site.s3.eu-west-1.amazonaws.com',
          defaultBehavior: { cachePolicyId: POLICY },
        },
      ],
      cachePolicies: [{ id: POLICY, name: 'pages', minTtl: 0, defaultTtl: 300, maxTtl: 3600 }],
    });
    client = new CloudFrontClient({
      endpoint: server.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(() => server.close());
  const operations = () => server.requests.map((request) => `${request.method} ${request.path.split('/')[2]}`);
  /** As a deploy does: one GetDistribution, then the behaviours of its configuration. */
  const serving = async (id: string, bucket: string) =>
    behavioursServing(client, (await describeDistribution(client, id, bucket)).config, bucket);

  it("reads the bucket's behaviours only, a managed policy without asking, legacy settings with CloudFront's defaults", async () => {
    const before = server.requests.length;
    expect(await serving('EMANAGED00001', 'site')).toEqual([
      {
        pathPattern: '/old/*',
        before: ['/api/*'],
        originPrefix: '',
        source: 'legacy cache settings',
        ttls: { min: 120, default: 86_400, max: 31_536_000 },
      },
      {
        pathPattern: '*',
        before: ['/api/*', '/old/*'],
        originPrefix: '',
        source: 'cache policy Managed-CachingOptimized',
        ttls: CACHING_OPTIMIZED,
      },
    ]);
    expect(operations().slice(before)).toEqual(['GET distribution']);
  });

  it('reads a custom policy with GetCachePolicy, and returns a denied one with its error', async () => {
    expect(await serving('ECUSTOM000001', 'site')).toEqual([
      {
        pathPattern: '*',
        before: [],
        originPrefix: '',
        source: 'cache policy pages',
        ttls: { min: 0, default: 300, max: 3600 },
      },
    ]);
    server.failNext('GetCachePolicy', 'AccessDenied');
    const [denied] = (await serving('ECUSTOM000001', 'site')) ?? [];
    expect(denied).toMatchObject({
      pathPattern: '*',
      source: `cache policy ${POLICY}`,
      error: { name: 'AccessDenied' },
    });
    expect(await serving('ECUSTOM000001', 'another-bucket')).toBeUndefined();
  });
});
