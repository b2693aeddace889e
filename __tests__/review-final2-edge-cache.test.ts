/**
 * Review (review-final2): the edge cache-policy check of `cache-control: auto`, per behaviour. Fails today.
 */
import type { CloudFrontClient, DistributionConfig } from '@aws-sdk/client-cloudfront';
import { behavioursServing } from '../src/cloudfront.js';
import { edgePolicyReport } from '../src/edge-cache.js';
import { AUTO_CACHE_CONTROL } from '../src/headers.js';

describe('review-final2: a bucket served through an origin group (S3 origin failover)', () => {
  // AWS's documented setup for S3 failover: two S3 origins in an origin group, and the behaviours target the
  // group's id, not an origin's. behavioursServing() keeps only behaviours whose TargetOriginId is a bucket
  // origin, so here it finds none and the check says nothing at all: no warning that the legacy MinTTL of a
  // day keeps every page at the edges for a day instead of the 60 s `auto` asks for (a deploy without an
  // invalidation stays invisible for a day), and not even the "honours" note. Suggested fix: a behaviour
  // whose target is an origin group with a bucket origin among its members serves the bucket (through the
  // primary member's OriginPath).
  it('warns about a behaviour that targets an origin group of the bucket', async () => {
    const config = {
      Origins: {
        Quantity: 2,
        Items: [
          { Id: 'primary', DomainName: 'site-bucket.s3.eu-west-1.amazonaws.com', OriginPath: '' },
          { Id: 'secondary', DomainName: 'site-bucket-dr.s3.us-east-1.amazonaws.com', OriginPath: '' },
        ],
      },
      OriginGroups: {
        Quantity: 1,
        Items: [
          {
            Id: 'failover',
            FailoverCriteria: { StatusCodes: { Quantity: 2, Items: [500, 503] } },
            Members: { Quantity: 2, Items: [{ OriginId: 'primary' }, { OriginId: 'secondary' }] },
          },
        ],
      },
      DefaultCacheBehavior: { TargetOriginId: 'failover', MinTTL: 86_400, DefaultTTL: 86_400, MaxTTL: 31_536_000 },
    } as unknown as DistributionConfig;
    // Legacy TTLs: no cache policy to read, so no request is made.
    const behaviours = await behavioursServing({} as CloudFrontClient, config, 'site-bucket');
    const lines = edgePolicyReport(
      [{ distributionId: 'E1', ...(behaviours ? { behaviours } : {}) }],
      AUTO_CACHE_CONTROL,
      [
        { key: 'index.html', fileClass: 'entry-point' },
        { key: 'assets/app-DlS8P1bw.js', fileClass: 'fingerprinted' },
      ],
    );
    const warnings = lines.filter((line) => line.level === 'warning').map((line) => line.message);
    expect(warnings.join('\n')).toContain('minimum TTL (86400 s)');
  });
});
