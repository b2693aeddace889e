import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { nodeHasProxySupport, planProxy, requestHandlerOptions } from '../src/http.js';

const NODE_24 = 'v24.21.0';

describe('nodeHasProxySupport', () => {
  it.each([
    ['v24.5.0', true],
    ['v24.21.0', true],
    ['v25.1.0', true],
    ['v22.21.0', true],
    ['v24.4.1', false],
    ['v22.20.0', false],
    ['v23.11.0', false],
    ['v20.20.2', false],
  ])('%s -> %p', (version, expected) => {
    expect(nodeHasProxySupport(version)).toBe(expected);
  });
});

describe('planProxy', () => {
  it('uses nothing when no proxy is set, whatever NO_PROXY says', () => {
    expect(planProxy({ NO_PROXY: 'localhost' }, NODE_24)).toEqual({ warnings: [], secrets: [] });
  });

  it('passes the proxies and NO_PROXY to Node, and says which serves what', () => {
    const plan = planProxy(
      { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'http://proxy.corp:3128', NO_PROXY: '169.254.169.254' },
      NODE_24,
    );
    expect(plan.proxyEnv).toEqual({
      HTTPS_PROXY: 'http://proxy.corp:3128/',
      HTTP_PROXY: 'http://proxy.corp:3128/',
      NO_PROXY: '169.254.169.254',
    });
    expect(plan.info).toBe(
      'Proxy: https requests through http://proxy.corp:3128/ (HTTPS_PROXY); http requests through http://proxy.corp:3128/ (HTTP_PROXY); direct for NO_PROXY 169.254.169.254.',
    );
    expect(plan.warnings).toEqual([]);
  });

  it('prefers the lower-case variables, as Node and curl do', () => {
    const plan = planProxy(
      { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2', no_proxy: 'a', NO_PROXY: 'b' },
      NODE_24,
    );
    expect(plan.proxyEnv).toEqual({ https_proxy: 'http://lower:1/', no_proxy: 'a' });
  });

  it('reads a proxy without a scheme as http://, as curl and the AWS CLI do (Node alone would ignore it)', () => {
    expect(planProxy({ HTTPS_PROXY: 'proxy.corp:3128' }, NODE_24).proxyEnv).toEqual({
      HTTPS_PROXY: 'http://proxy.corp:3128/',
    });
  });

  it('masks the password of a proxy URL and never logs it', () => {
    const plan = planProxy({ HTTPS_PROXY: 'http://deploy:s%40cret@proxy.corp:3128' }, NODE_24);
    expect(plan.proxyEnv).toEqual({ HTTPS_PROXY: 'http://deploy:s%40cret@proxy.corp:3128/' });
    expect(plan.secrets).toEqual(['s@cret']);
    expect(plan.info).toContain('http://deploy:***@proxy.corp:3128/');
    expect(plan.info).not.toContain('cret');
  });

  it('warns about a proxy it cannot use instead of silently connecting directly', () => {
    const plan = planProxy({ HTTPS_PROXY: 'socks5://user:pw@proxy.corp:1080' }, NODE_24);
    expect(plan.proxyEnv).toBeUndefined();
    expect(plan.warnings).toEqual([
      "HTTPS_PROXY is not an http:// or https:// proxy URL, so https requests do not use it: 'socks5://user:***@proxy.corp:1080'.",
    ]);
  });

  it('warns on a Node.js without proxy support, and connects directly', () => {
    const plan = planProxy({ HTTPS_PROXY: 'http://proxy.corp:3128' }, 'v20.20.2');
    expect(plan.proxyEnv).toBeUndefined();
    expect(plan.warnings).toEqual([
      expect.stringMatching(/A proxy is set \(https requests through .*\) but Node.js v20.20.2 cannot use one.*node24/),
    ]);
  });
});

describe('requestHandlerOptions', () => {
  /** A loopback server that records, per request, the client port it came from and the body length. */
  async function startRecorder() {
    const received: { port: number; bytes: number }[] = [];
    const server = http.createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        received.push({ port: request.socket.remotePort ?? 0, bytes });
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { port, received, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it("sends S3's parts (Expect: 100-continue) on the same agent as every other request, the bodies whole", async () => {
    const recorder = await startRecorder();
    const options = requestHandlerOptions(4);
    const handler = new NodeHttpHandler(options);
    try {
      const part = Buffer.alloc(3 * 1024 * 1024, 1);
      for (const path of ['/page', '/part-1', '/part-2']) {
        const expectContinue = path.startsWith('/part') ? { Expect: '100-continue' } : {};
        const body = path.startsWith('/part') ? part : Buffer.from('page');
        const request = new HttpRequest({
          protocol: 'http:',
          hostname: '127.0.0.1',
          port: recorder.port,
          method: 'PUT',
          path,
          headers: { host: `127.0.0.1:${recorder.port}`, 'content-length': String(body.length), ...expectContinue },
          body,
        });
        const { response } = await handler.handle(request);
        expect(response.statusCode).toBe(200);
        // Read to the end, so the socket is free for the next request.
        await new Promise((resolve) => (response.body as http.IncomingMessage).resume().on('end', resolve));
      }
      expect(recorder.received.map((request) => request.bytes)).toEqual([4, part.length, part.length]);
      // One keep-alive connection, so one proxy tunnel; the SDK's own agent for 100-continue would open one per part.
      expect(new Set(recorder.received.map((request) => request.port)).size).toBe(1);
      expect(handler.httpHandlerConfigs().httpAgent).toBe(options.httpAgent);
    } finally {
      handler.destroy();
      await recorder.close();
    }
  });

  it('gives each client agents of its own, with its socket limit', () => {
    const s3 = requestHandlerOptions(96);
    const cloudFront = requestHandlerOptions();
    expect(s3.httpsAgent).not.toBe(cloudFront.httpsAgent);
    expect(s3.httpsAgent.maxSockets).toBe(96);
    expect(cloudFront.httpsAgent.maxSockets).toBe(50);
    expect(s3.httpAgent.maxSockets).toBe(96);
    for (const agent of [s3.httpAgent, s3.httpsAgent, cloudFront.httpAgent, cloudFront.httpsAgent]) {
      expect((agent as http.Agent & { keepAlive: boolean }).keepAlive).toBe(true);
      agent.destroy();
    }
  });
});
