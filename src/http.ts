/**
 * The sockets both SDK clients use. Self-hosted runners often reach AWS only through a proxy named in
 * HTTPS_PROXY / HTTP_PROXY (NO_PROXY for the exceptions), which the AWS CLI and configure-aws-credentials
 * honour but the JS SDK ignores. Node's own agent handles them when given `proxyEnv` (Node 24.5+ and
 * 22.21+): CONNECT tunnels for https, absolute-form requests for http, an https:// proxy, credentials in
 * the proxy URL, NO_PROXY with domains, wildcards and ports, lower-case variables winning. No proxy
 * library: the action runs on node24 (action.yml), where Node's own does all of that, so a library would
 * be code that never runs there; an older Node (a local run) warns that the variables are not used.
 */
import http from 'node:http';
import https from 'node:https';
import * as core from '@actions/core';

/** Lower-case first: where both are set, Node (like curl) uses the lower-case one. */
const PROXY_VARIABLES = {
  https: ['https_proxy', 'HTTPS_PROXY'],
  http: ['http_proxy', 'HTTP_PROXY'],
} as const;
const NO_PROXY_VARIABLES = ['no_proxy', 'NO_PROXY'] as const;

export interface ProxyPlan {
  /** For Node's agents; undefined when no proxy is set, or this Node cannot use one. */
  proxyEnv?: Record<string, string>;
  /** One log line saying which proxy serves what. */
  info?: string;
  warnings: string[];
  /** Passwords inside proxy URLs, to mask in logs. */
  secrets: string[];
}

/** Node 24.5+ and 22.21+ take `proxyEnv` in http(s).Agent. */
export function nodeHasProxySupport(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/**
 * Pure: the proxy settings Node's agents get from the environment. A URL without a scheme
 * ('proxy.corp:3128') is read as http://, as curl and the AWS CLI read it; Node would ignore it and
 * connect directly. A scheme Node cannot use (socks5://) is dropped with a warning, not silently.
 */
export function planProxy(env: Readonly<Record<string, string | undefined>>, nodeVersion: string): ProxyPlan {
  const proxyEnv: Record<string, string> = {};
  const warnings: string[] = [];
  const secrets: string[] = [];
  const used: string[] = [];
  for (const [scheme, names] of Object.entries(PROXY_VARIABLES)) {
    const name = names.find((candidate) => env[candidate]?.trim());
    if (!name) continue;
    const raw = (env[name] as string).trim();
    const url = parseProxyUrl(raw);
    if (!url) {
      warnings.push(
        `${name} is not an http:// or https:// proxy URL, so ${scheme} requests do not use it: '${withoutPassword(raw)}'.`,
      );
      continue;
    }
    proxyEnv[name] = url.href;
    if (url.password) secrets.push(decodeURIComponent(url.password));
    used.push(`${scheme} requests through ${withoutPassword(url.href)} (${name})`);
  }
  if (used.length === 0) return { warnings, secrets };
  const noProxyName = NO_PROXY_VARIABLES.find((candidate) => env[candidate]?.trim());
  const noProxy = noProxyName ? (env[noProxyName] as string).trim() : '';
  if (noProxyName) proxyEnv[noProxyName] = noProxy;
  if (!nodeHasProxySupport(nodeVersion)) {
    warnings.push(
      `A proxy is set (${used.join('; ')}) but Node.js ${nodeVersion} cannot use one, so requests go directly. ` +
        `The action's own runtime (node24) uses it.`,
    );
    return { warnings, secrets };
  }
  const info = `Proxy: ${used.join('; ')}${noProxy ? `; direct for NO_PROXY ${noProxy}` : ''}.`;
  return { proxyEnv, info, warnings, secrets };
}

function parseProxyUrl(raw: string): URL | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  try {
    const url = new URL(withScheme);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function withoutPassword(value: string): string {
  return value.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

let reported = false;

/**
 * The SDK handler's agents (keep-alive sockets, at most `maxSockets` each; the SDK's own default of 50 when
 * not given) with the environment's proxy. Agents, not agent options: given options, the handler sends every
 * request carrying `Expect: 100-continue` (S3 adds it from 2 MiB: every part of a multipart upload) on a
 * fresh agent of its own, without the proxy and without keep-alive (@smithy/node-http-handler 4.x). Given
 * agents, it uses them for every request. A new pair per call: S3 and CloudFront never share a host, so
 * one pair for both would save no connection (CloudFront's clients share theirs, invalidate.ts). Idle
 * keep-alive sockets do not hold the process open (Node unrefs them). Logs what it found once per run.
 */
export function requestHandlerOptions(maxSockets?: number): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const plan = planProxy(process.env, process.version);
  if (!reported) {
    reported = true;
    for (const secret of plan.secrets) core.setSecret(secret);
    for (const warning of plan.warnings) core.warning(warning);
    if (plan.info) core.info(plan.info);
  }
  const options: http.AgentOptions = {
    keepAlive: true,
    maxSockets: maxSockets ?? SDK_MAX_SOCKETS,
    ...(plan.proxyEnv ? { proxyEnv: plan.proxyEnv } : {}),
  };
  return { httpAgent: new http.Agent(options), httpsAgent: new https.Agent(options) };
}

/** NodeHttpHandler's pool size when it makes its own agents. */
const SDK_MAX_SOCKETS = 50;
