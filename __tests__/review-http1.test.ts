// Review of the fast PutObject's own HTTP/1.1 (src/http1.ts), through the strict local S3 (it verifies every
// signature): the bytes it writes beside node:http's on the same agent, and the header values a user may
// give (Cache-Control from a rule) beside S3Client.send: kept as they are, or refused as node:http refuses them.
import http from 'node:http';
import net from 'node:net';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalS3Server, startS3Server } from '../local/s3-server.mjs';
import { createPutObject } from '../src/put-object.js';
import { REGION, clientFor, failureSeen, putInput } from './support/put-input.js';
import { onRequests } from './support/raw-requests.js';

/** A TCP relay to `port` that keeps the head of every request it passes, as the bytes went by. */
async function startRelay(port: number) {
  const heads: string[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    onRequests(client, (head) => heads.push(head));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    heads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A request head with what changes from one request to the next (date, signature, invocation id) blanked. */
const stable = (head: string | undefined) =>
  head
    ?.replace(/(x-amz-date: )\S+/i, '$1…')
    .replace(/(authorization: ).*/i, '$1…')
    .replace(/(amz-sdk-invocation-id: )\S+/i, '$1…');

let s3: LocalS3Server;
let relay: Awaited<ReturnType<typeof startRelay>>;
beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['fast-bucket'], region: REGION });
  relay = await startRelay(s3.port);
});
afterAll(async () => {
  await relay.close();
  await s3.close();
});

/** A client whose handler has made its agent (its first request goes through the handler): the fast path's next go direct. */
async function warmClient(extra: Parameters<typeof clientFor>[1] = {}): Promise<S3Client> {
  const client = clientFor(relay.url, extra);
  await createPutObject(client, 'fast-bucket')(putInput('warm.html', 'warm'));
  return client;
}

describe('review-http1: the fast PutObject on its own HTTP/1.1', () => {
  it('writes the bytes node:http writes on the same kind of agent, but for Connection: keep-alive (HTTP/1.1’s default)', async () => {
    const ownHttp = await warmClient();
    // A subclass of Node's agent: send-request.ts sends on it with node:http.
    const nodeHttp = await warmClient({
      requestHandler: { httpAgent: new (class extends http.Agent {})({ keepAlive: true }) },
    });
    const input = putInput('wire/page.html', 'the page', { CacheControl: 'max-age=60, café', ContentEncoding: 'gzip' });
    relay.heads.length = 0;
    await createPutObject(ownHttp, 'fast-bucket')(input);
    await createPutObject(nodeHttp, 'fast-bucket')(input);
    const [ours, theirs] = relay.heads.map(stable);
    expect(ours).toBe(theirs?.replace('\r\nConnection: keep-alive', ''));
    expect(ours).toContain('\r\ncache-control: max-age=60, café\r\n');
    expect(s3.object('fast-bucket', 'wire/page.html')?.headers['cache-control']).toBe('max-age=60, café');
    for (const client of [ownHttp, nodeHttp]) client.destroy();
  });

  describe('a Cache-Control value with odd bytes: what S3Client.send does with it', () => {
    let client: S3Client;
    beforeAll(async () => {
      client = await warmClient();
    });
    afterAll(() => client.destroy());

    it.each([
      ['latin-1', 'max-age=60, é'],
      ['CR LF (a header injected)', 'max-age=60\r\nx-amz-acl: public-read'],
      ['a lone LF', 'max-age=60\nx'],
      ['beyond latin-1', 'max-age=60, 日本'],
      ['a NUL', 'max-age=60\0'],
      ['a tab and a DEL', 'max-age=60,\tno-transform\x7f'],
    ])('%s', async (name, value) => {
      const key = (path: string) => `odd/${name}/${path}.html`;
      // What the user reads, and how many requests reached the store: a refused value must reach none (a
      // request the store refused would be handed to the SDK, which refuses it as it stands: same error).
      const outcome = async (send: () => Promise<unknown>, path: string) => {
        const before = relay.heads.length;
        const seen = await send().then(
          () => ({ stored: s3.object('fast-bucket', key(path))?.headers['cache-control'] }),
          (error: unknown) => failureSeen(error),
        );
        return { seen, requests: relay.heads.length - before };
      };
      const input = (path: string) => putInput(key(path), 'x', { CacheControl: value });
      const fast = await outcome(() => createPutObject(client, 'fast-bucket')(input('fast')), 'fast');
      const sdk = await outcome(() => client.send(new PutObjectCommand(input('sdk'))), 'sdk');
      expect(fast).toEqual(sdk);
    });
  });
});
