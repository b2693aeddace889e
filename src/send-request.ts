/**
 * Sends the fast PutObject's signed request over the SDK handler's own sockets, without the handler's
 * per-request machinery. NodeHttpHandler.handle arms five timers and several listeners for every request
 * (a socket-usage warning, connection, request and socket timeouts, TCP keep-alive), each of which does
 * nothing unless a timeout is configured, and copies the answer's headers: about 0.15 ms of CPU per
 * request on this project's 2-core machine (0.49 -> 0.34 ms per 16 KiB PutObject over HTTPS,
 * bench/request-cost.mjs), a third of what the request costs.
 *
 * Only where nothing is lost: the client's handler is the SDK's NodeHttpHandler, it has already made the
 * agent for this protocol (the same agent, so the same keep-alive sockets and the same proxy), and no
 * timeout is configured (the action configures none; with one, the handler's own timers apply). Errors
 * are named as the handler names them, so the SDK's retry strategy judges them alike.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { HttpResponse, buildQueryString } from '@smithy/core/protocols';
import type { HttpRequest } from '@smithy/core/protocols';
import type { RequestHandler } from '@smithy/types';
import { type Answer, ConnectionPool, type Exchange, writable } from './http1.js';

export type Send = (request: HttpRequest) => Promise<HttpResponse>;

/** Socket errors the SDK's handler renames TimeoutError, which its retry strategy treats as transient. */
const TIMEOUT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** The parts of NodeHttpHandler's resolved configuration that decide whether a request may go direct. */
interface HandlerConfig {
  httpAgent?: http.Agent;
  httpsAgent?: https.Agent;
}

/**
 * Every setting NodeHttpHandler 4.x resolves. With any other (a newer handler that does more per request)
 * or any of TIMED set, every request goes through `handle`.
 */
const KNOWN_SETTINGS = new Set([
  'httpAgent',
  'httpsAgent',
  'httpAgentProvider',
  'logger',
  'throwOnRequestTimeout',
  'connectionTimeout',
  'requestTimeout',
  'socketTimeout',
  'defaultSocketTimeout',
  'socketAcquisitionWarningTimeout',
]);
/**
 * Settings the handler acts on per request. socketAcquisitionWarningTimeout is among them: set, it asks
 * for the handler's warning when every socket is busy. Unset, that warning (after 3 s) is not given on the
 * direct path; the action's agents have more sockets than it ever has requests in flight.
 */
const TIMED = [
  'connectionTimeout',
  'requestTimeout',
  'socketTimeout',
  'defaultSocketTimeout',
  'socketAcquisitionWarningTimeout',
];

type Handler = RequestHandler<unknown, HttpResponse> & { httpHandlerConfigs?: () => Record<string, unknown> };

/**
 * A sender for requests through `handler`: straight onto its agent where that changes nothing but the
 * CPU spent, through `handler.handle` otherwise (decided per request: the handler makes its http agent
 * on first use, and a client's configuration can change). A `handle` set on the instance (a wrapper that
 * logs, traces or adds a header) is always called.
 */
export function senderFor(handler: Handler): Send {
  const viaHandler: Send = async (request) => (await handler.handle(request)).response;
  if (handler.constructor?.name !== 'NodeHttpHandler' || typeof handler.httpHandlerConfigs !== 'function') {
    return viaHandler;
  }
  return (request) => {
    const settings = handler.httpHandlerConfigs?.() ?? {};
    const { httpAgent, httpsAgent } = settings as HandlerConfig;
    const agent = request.protocol === 'https:' ? httpsAgent : httpAgent;
    const direct =
      agent !== undefined &&
      !Object.hasOwn(handler, 'handle') &&
      Object.keys(settings).every((name) => KNOWN_SETTINGS.has(name)) &&
      TIMED.every((name) => {
        const ms = settings[name];
        return !(typeof ms === 'number' && ms > 0);
      });
    if (!direct) return viaHandler(request);
    const pool = poolFor(agent);
    if (pool === undefined) return sendOnAgent(agent, request);
    const exchange = exchangeOf(request);
    return writable(exchange) ? sendOnPool(pool, exchange) : sendOnAgent(agent, request);
  };
}

const pools = new WeakMap<http.Agent, ConnectionPool | undefined>();

/**
 * The agent's own connections for http1.ts, where that changes nothing but the CPU spent: a plain Node
 * agent (not a subclass, no createConnection of its own) with keep-alive, no socket timeout and no proxy
 * (a proxy's tunnels and absolute-form requests are node:http's to make).
 */
function poolFor(agent: http.Agent): ConnectionPool | undefined {
  if (pools.has(agent)) return pools.get(agent);
  const { options } = agent as unknown as { options: http.AgentOptions & { proxyEnv?: object } };
  const plain =
    (agent.constructor === http.Agent || agent.constructor === https.Agent) &&
    !Object.hasOwn(agent, 'createConnection') &&
    options.keepAlive === true &&
    !(typeof options.timeout === 'number' && options.timeout > 0) &&
    Object.keys(options.proxyEnv ?? {}).length === 0;
  const pool = plain ? new ConnectionPool(agent) : undefined;
  pools.set(agent, pool);
  return pool;
}

function exchangeOf(request: HttpRequest): Exchange {
  const query = buildQueryString(request.query);
  const body = request.body as Buffer;
  let host = false;
  let length = false;
  for (const name in request.headers) {
    const lower = name.toLowerCase();
    host ||= lower === 'host';
    length ||= lower === 'content-length';
  }
  // As node:http adds them when they are not given (put-object.ts always gives both: no copy then).
  const headers =
    host && length
      ? request.headers
      : {
          ...request.headers,
          ...(host
            ? {}
            : { host: request.port === undefined ? request.hostname : `${request.hostname}:${request.port}` }),
          ...(length ? {} : { 'content-length': String(body.length) }),
        };
  return {
    protocol: request.protocol,
    hostname: request.hostname,
    port: request.port,
    method: request.method,
    target: query ? `${request.path}?${query}` : request.path,
    headers,
    body,
  };
}

async function sendOnPool(pool: ConnectionPool, exchange: Exchange): Promise<HttpResponse> {
  let answer: Answer;
  try {
    answer = await pool.exchange(exchange);
  } catch (error) {
    throw named(error as NodeJS.ErrnoException);
  }
  return new HttpResponse({
    statusCode: answer.statusCode,
    reason: answer.reason,
    headers: answer.headers,
    // No stream for the empty body of a success (the usual answer): readAnswer has nothing to read.
    ...(answer.body.length === 0 ? {} : { body: Readable.from([answer.body]) }),
  });
}

/** As the SDK's handler names socket errors (its retry strategy treats a TimeoutError as transient). */
function named(error: NodeJS.ErrnoException): NodeJS.ErrnoException {
  return TIMEOUT_CODES.has(error.code ?? '') ? Object.assign(error, { name: 'TimeoutError' }) : error;
}

function sendOnAgent(agent: http.Agent, request: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    // Built as the handler builds it.
    const query = buildQueryString(request.query);
    const hostname = request.hostname.startsWith('[') ? request.hostname.slice(1, -1) : request.hostname;
    const sent = (request.protocol === 'https:' ? https : http).request(
      {
        agent,
        host: hostname,
        ...(request.port === undefined ? {} : { port: request.port }),
        method: request.method,
        path: query ? `${request.path}?${query}` : request.path,
        headers: request.headers,
      },
      (answer) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
        }
        resolve(
          new HttpResponse({
            statusCode: answer.statusCode ?? -1,
            ...(answer.statusMessage === undefined ? {} : { reason: answer.statusMessage }),
            headers,
            body: answer,
          }),
        );
      },
    );
    sent.on('error', (error: NodeJS.ErrnoException) => reject(named(error)));
    sent.end(request.body as Buffer);
  });
}
