/**
 * A loopback server in front of a local one, for the answers the local servers never give on their own (a
 * refusal of one request, another distribution config, a dropped connection). `answer` sees each request with
 * its whole body and answers it itself by returning a reply, or 'drop' to cut the connection; every other
 * request is relayed unchanged, once the answer (which may be a promise: a held request) says so.
 * `beforeBody` may cut a connection while the client is still sending its body.
 */
import http from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Cut the connection after `body`, leaving the content-length given in `headers` unmet. */
  cut?: true;
}

type Answer = Reply | 'drop' | undefined;

export interface FrontOptions {
  /** The loopback address to listen on ('::1' for IPv6). */
  host?: string;
  beforeBody?: (request: http.IncomingMessage) => 'drop' | undefined;
}

export interface Front {
  url: string;
  close(): Promise<void>;
}

/** The object key a path-style request names (/bucket/key). */
export function requestKey(request: http.IncomingMessage): string {
  return decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname.split('/').slice(2).join('/'));
}

export async function startFront(
  target: string,
  answer: (request: http.IncomingMessage, body: Buffer) => Answer | Promise<Answer>,
  { host = '127.0.0.1', beforeBody }: FrontOptions = {},
): Promise<Front> {
  const upstream = new URL(target);
  const server = http.createServer((request, response) => {
    if (beforeBody?.(request) === 'drop') {
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      void Promise.resolve(answer(request, body)).then((reply) => {
        if (reply === 'drop') {
          request.socket.destroy();
          return;
        }
        if (reply?.cut) {
          response.writeHead(reply.status, reply.headers);
          response.write(reply.body);
          setImmediate(() => request.socket.destroy());
          return;
        }
        if (reply) {
          response.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
          response.end(reply.body);
          return;
        }
        const relay = http.request(
          {
            host: upstream.hostname,
            port: upstream.port,
            path: request.url,
            method: request.method,
            headers: request.headers,
          },
          (upstreamAnswer) => {
            response.writeHead(upstreamAnswer.statusCode ?? 502, upstreamAnswer.headers);
            upstreamAnswer.pipe(response);
          },
        );
        relay.on('error', () => response.destroy());
        relay.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => {
      // Clients keep their connections alive: close them too, or close() waits for them.
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** S3's error answer: the status, and the XML body with `code`. */
export function s3ErrorReply(status: number, code: string, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'Content-Type': 'application/xml', ...headers },
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} here</Message></Error>`,
  };
}

export interface ScriptFront<Fault> extends Front {
  /** Answers for the next requests to a key, in order; a key with none left goes through. */
  script: Map<string, Fault[]>;
  /** Every request, as it arrived. */
  seen: Array<{ key: string; headers: http.IncomingHttpHeaders }>;
  /** Called with each request's key before it is answered. */
  onRequest?: (key: string) => void;
}

/** A front that answers each key's requests from its script (each fault made a reply by `reply`). */
export async function startScriptFront<Fault>(
  target: string,
  reply: (fault: Fault) => Reply | 'drop',
): Promise<ScriptFront<Fault>> {
  const script = new Map<string, Fault[]>();
  const seen: ScriptFront<Fault>['seen'] = [];
  const state: ScriptFront<Fault> = { url: '', close: () => Promise.resolve(), script, seen };
  const front = await startFront(target, (request) => {
    const key = requestKey(request);
    seen.push({ key, headers: request.headers });
    state.onRequest?.(key);
    const next = script.get(key)?.shift();
    return next === undefined ? undefined : reply(next);
  });
  return Object.assign(state, front);
}
