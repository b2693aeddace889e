import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/core/protocols';
import type { RequestSigner } from '@smithy/types';
import { type Credentials, sign } from '../src/sigv4.js';

/** The signer the S3 client itself builds (SignatureV4MultiRegion over @smithy/signature-v4's SignatureV4). */
async function sdkSigner(credentials: Credentials, region: string): Promise<RequestSigner> {
  const { sessionToken, ...keys } = credentials;
  const client = new S3Client({ region, credentials: { ...keys, ...(sessionToken ? { sessionToken } : {}) } });
  const config = client.config as unknown as { signer: (scheme: object) => Promise<RequestSigner> };
  return config.signer({ name: 'sigv4', signingName: 's3', signingRegion: region, properties: {} });
}

const date = new Date('2026-11-27T15:04:05.678Z');
const body = Buffer.from('<h1>hello</h1>\n');
const sha256 = createHash('sha256').update(body).digest('hex');

const cases: Array<{ name: string; path: string; headers: Record<string, string>; credentials: Credentials }> = [
  {
    name: 'a plain PutObject',
    path: '/site-bucket/index.html',
    headers: { 'content-type': 'text/html', 'content-md5': 'abc==', 'x-amz-content-sha256': sha256 },
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  },
  {
    name: 'temporary credentials, an unsigned payload and the unsigned headers',
    path: '/docs/a%20b/%C3%A9t%C3%A9%2Bplus.html',
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'public,  max-age=60',
      'user-agent': 'aws-sdk-js/3 ua/2.1',
      'x-amz-user-agent': 'aws-sdk-js/3',
      'amz-sdk-invocation-id': '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
      'amz-sdk-request': 'attempt=2; max=6',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:eu-west-1:123456789012:key/k',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    },
    credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/with+chars=', sessionToken: 'token//+==' },
  },
  {
    name: 'values the SDK normalises (line breaks, runs of blanks, edges)',
    path: '/b/k',
    headers: {
      'content-type': ' text/plain;\t charset=utf-8 ',
      'content-encoding': 'gzip\r\n',
      'x-amz-meta-note': 'a  b\t\tc',
      'x-amz-content-sha256': sha256,
    },
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'another-secret' },
  },
];

describe('sign', () => {
  for (const { name, path, headers, credentials } of cases) {
    it(`signs ${name} exactly as the SDK's SignatureV4 does`, async () => {
      const host = 'site-bucket.s3.eu-west-1.amazonaws.com';
      const request = new HttpRequest({
        method: 'PUT',
        protocol: 'https:',
        hostname: host,
        path,
        query: { 'x-id': 'PutObject' },
        headers: { host, 'content-length': String(body.length), ...headers },
        body,
      });
      const expected = (await (
        await sdkSigner(credentials, 'eu-west-1')
      ).sign(request, { signingDate: date, signingRegion: 'eu-west-1', signingService: 's3' })) as HttpRequest;

      const ours = { ...request.headers };
      sign(
        { method: 'PUT', path, query: 'x-id=PutObject', headers: ours },
        {
          credentials,
          region: 'eu-west-1',
          service: 's3',
          date,
        },
      );
      expect(ours.authorization).toBe(expected.headers.authorization);
      expect(ours['x-amz-date']).toBe(expected.headers['x-amz-date']);
      expect(ours['x-amz-security-token']).toBe(expected.headers['x-amz-security-token']);
    });
  }

  it('signs with the new key after the credentials change (a refresh)', async () => {
    const first = { accessKeyId: 'AKIDFIRST', secretAccessKey: 'first-secret' };
    const second = { accessKeyId: 'AKIDSECOND', secretAccessKey: 'second-secret' };
    const headersFor = async (credentials: Credentials) => {
      const headers: Record<string, string> = { host: 'h', 'x-amz-content-sha256': sha256 };
      sign(
        { method: 'PUT', path: '/b/k', query: '', headers },
        { credentials, region: 'us-east-1', service: 's3', date },
      );
      const request = new HttpRequest({
        method: 'PUT',
        hostname: 'h',
        path: '/b/k',
        headers: { host: 'h', 'x-amz-content-sha256': sha256 },
      });
      const signer = await sdkSigner(credentials, 'us-east-1');
      const expected = (await signer.sign(request, {
        signingDate: date,
        signingRegion: 'us-east-1',
        signingService: 's3',
      })) as HttpRequest;
      return [headers.authorization, expected.headers.authorization];
    };
    for (const credentials of [first, second, first]) {
      const [ours, sdk] = await headersFor(credentials);
      expect(ours).toBe(sdk);
      expect(ours).toContain(`Credential=${credentials.accessKeyId}/`);
    }
  });

  it('refuses a request without a payload hash', () => {
    expect(() =>
      sign(
        { method: 'PUT', path: '/', query: '', headers: {} },
        {
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          region: 'us-east-1',
          service: 's3',
          date,
        },
      ),
    ).toThrow(/x-amz-content-sha256/);
  });
});
