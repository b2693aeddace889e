import { nodeHasProxySupport, planProxy } from '../src/http.js';

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
