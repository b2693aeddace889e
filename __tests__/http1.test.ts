// The fast PutObject's own HTTP/1.1 (src/http1.ts): every answer read as node:http reads it, byte by
// byte, and its keep-alive connections reused, dropped and given back as an agent's are. Loopback servers
// that answer with scripted bytes stand in for the S3-compatible stores and proxies a user has.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import { type Answer, AnswerReader, ConnectionPool, type Exchange } from '../src/http1.js';
import { loopbackCertificate } from '../local/tls.mjs';
import { onRequests } from './support/raw-requests.js';

const S3_ERROR =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>';

const S3_SUCCESS =
  'HTTP/1.1 200 OK\r\nx-amz-request-id: R1\r\nETag: "abc"\r\nContent-Length: 0\r\nServer: AmazonS3\r\n\r\n';
/** Answers as stores send them: S3's own, S3-compatible ones', a proxy's. */
const ANSWERS: Record<string, string> = {
  'S3 success': S3_SUCCESS,
  'error document with Content-Length': `HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: ${S3_ERROR.length}\r\n\r\n${S3_ERROR}`,
  'chunked error with an extension and trailers': `HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n10;name=value\r\n${S3_ERROR.slice(0, 16)}\r\n${(S3_ERROR.length - 16).toString(16)}\r\n${S3_ERROR.slice(16)}\r\n0\r\nx-trailer: 1\r\n\r\n`,
  'chunked success, upper-case size':
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: "e"\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n',
  '100 Continue first': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'Connection: close': 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.0 keep-alive': 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n',
  'repeated headers': 'HTTP/1.1 200 OK\r\nX-Amz-Meta-A: one\r\nx-amz-meta-a: two\r\nContent-Length: 0\r\n\r\n',
  'no reason phrase': 'HTTP/1.1 204\r\n\r\n',
  'spaces around a value, an empty value': 'HTTP/1.1 200 OK\r\nETag:   "x"  \r\nx-empty:\r\nContent-Length: 0\r\n\r\n',
  // node:http keeps the first of a header that has one value (ETag, Content-Type, Server...), joins the rest.
  'a repeated ETag and Content-Type':
    'HTTP/1.1 200 OK\r\nETag: "a"\r\nContent-Type: text/xml\r\nETag: "b"\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n',
};
/** Answers whose body runs to the connection's end. */
const TO_THE_END: Record<string, string> = {
  'HTTP/1.0 with no length (a proxy error page)':
    'HTTP/1.0 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>bad gateway</html>',
  'HTTP/1.1 with no length': 'HTTP/1.1 500 Internal Server Error\r\n\r\nbroken',
};

/** What node:http reads of the same bytes sent by a loopback server: the oracle for AnswerReader. */
async function nodeReads(raw: string): Promise<Answer> {
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.end(raw, 'latin1'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as net.AddressInfo;
    return await new Promise<Answer>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/b/k', agent: false }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', reject);
        answer.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({
            statusCode: answer.statusCode ?? -1,
            reason: answer.statusMessage ?? '',
            headers,
            body: Buffer.concat(chunks),
          });
        });
      });
      request.on('error', reject);
      request.end('x');
    });
  } finally {
    server.close();
  }
}

/** Feeds `raw` in pieces of `size` bytes (1: every byte boundary); ends the connection after if `end`. */
function readInPieces(raw: string, size: number, end = false): { answer: Answer | undefined; keepAlive: boolean } {
  const reader = new AnswerReader('PUT');
  const bytes = Buffer.from(raw, 'latin1');
  let answer: Answer | undefined;
  for (let at = 0; at < bytes.length && answer === undefined; at += size) {
    answer = reader.feed(bytes.subarray(at, at + size));
  }
  if (answer === undefined && end) answer = reader.end();
  return { answer, keepAlive: reader.keepAlive };
}

const comparable = (answer: Answer | undefined) => answer && { ...answer, body: answer.body.toString('latin1') };

describe('an answer is read as node:http reads it', () => {
  it.each(Object.keys(ANSWERS))('%s: whole, and split at every byte', async (name) => {
    const raw = ANSWERS[name] as string;
    const expected = comparable(await nodeReads(raw));
    expect(comparable(readInPieces(raw, raw.length).answer)).toEqual(expected);
    expect(comparable(readInPieces(raw, 1).answer)).toEqual(expected);
    expect(comparable(readInPieces(raw, 7).answer)).toEqual(expected);
  });

  it.each(Object.keys(TO_THE_END))(
    '%s: read up to the end of the connection, which is then not reused',
    async (name) => {
      const raw = TO_THE_END[name] as string;
      const expected = comparable(await nodeReads(raw));
      const { answer, keepAlive } = readInPieces(raw, 1, true);
      expect(comparable(answer)).toEqual(expected);
      expect(keepAlive).toBe(false);
    },
  );
});

describe('whether the connection carries the next request', () => {
  it.each([
    ['S3 success', true],
    ['chunked error with an extension and trailers', true],
    ['HTTP/1.0 keep-alive', true],
    ['Connection: close', false],
  ])('%s: %s', (name, reused) => {
    expect(readInPieces(ANSWERS[name] as string, 3).keepAlive).toBe(reused);
  });

  it('not when bytes came after the answer (nobody asked for them)', () => {
    const reader = new AnswerReader('PUT');
    expect(reader.feed(Buffer.from(`${S3_SUCCESS}HTTP/1.1 200 OK\r\n`))?.statusCode).toBe(200);
    expect(reader.keepAlive).toBe(false);
  });
});

describe('an answer that is not HTTP fails with the code node:http gives it', () => {
  it('a 101 Switching Protocols, which no PUT asks for, fails at once (node:http would wait for ever)', () => {
    let thrown: unknown;
    try {
      readInPieces('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', 4);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'HPE_PAUSED_UPGRADE' });
  });

  it.each([
    [
      'a connection that ends inside the body',
      'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 400\r\n\r\n<Error><Code>Int',
      'ECONNRESET',
    ],
    ['a connection that ends inside the head', 'HTTP/1.1 200 OK\r\nContent-Le', 'ECONNRESET'],
    [
      'a connection that ends inside a chunk',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc',
      'ECONNRESET',
    ],
    ['a connection that ends before a byte', '', 'ECONNRESET'],
  ])('%s: %s', async (_name, raw, code) => {
    await expect(nodeReads(raw)).rejects.toMatchObject({ code });
    let ours: unknown;
    try {
      readInPieces(raw, 1, true);
    } catch (error) {
      ours = error;
    }
    expect(ours).toMatchObject({ code, message: 'socket hang up' });
  });

  it.each([
    ['not HTTP at all', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    [
      'a chunk size that is not hex',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HPE_INVALID_CHUNK_SIZE',
    ],
    [
      'a chunk longer than its size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n',
      'HPE_STRICT',
    ],
    [
      'two lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'HPE_UNEXPECTED_CONTENT_LENGTH',
    ],
    ['a length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nab', 'HPE_INVALID_CONTENT_LENGTH'],
    ['a header line with no name', 'HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['a head over 16 KiB', `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 'HPE_HEADER_OVERFLOW'],
  ])('%s', async (_name, raw, code) => {
    const seen = await nodeReads(raw).catch((error: NodeJS.ErrnoException) => error.code);
    const ours = (() => {
      try {
        readInPieces(raw, 5, true);
        return 'no error';
      } catch (error) {
        return (error as NodeJS.ErrnoException).code;
      }
    })();
    expect({ ours, 'node:http': seen }).toEqual({ ours: code, 'node:http': code });
  });
});

/**
 * A loopback server that reads whole requests (head and Content-Length body) and answers each with the
 * next scripted reply: raw bytes, { end: bytes } (the connection closed after them), 'close' (closed at
 * once), or 'hold' (no answer until released). Counts connections and the requests each carried.
 */
async function startScripted(options: { tls?: boolean } = {}) {
  // Raw bytes, or one of the words 'close' and 'hold'.
  const script: Array<string | { end: string }> = [];
  const requests: Array<{ connection: number; head: string; body: string }> = [];
  const held: Array<() => void> = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let open = 0;
  let mostOpen = 0;
  const resumed: boolean[] = [];
  const onConnection = (socket: net.Socket) => {
    const id = ++connections;
    if ('isSessionReused' in socket) resumed.push((socket as tls.TLSSocket).isSessionReused());
    sockets.add(socket);
    open += 1;
    mostOpen = Math.max(mostOpen, open);
    socket.on('close', () => {
      open -= 1;
      sockets.delete(socket);
    });
    socket.on('error', () => {});
    onRequests(socket, (head, body) => {
      requests.push({ connection: id, head, body });
      const reply = script.shift() ?? S3_SUCCESS;
      if (reply === 'close') socket.destroy();
      else if (reply === 'hold') held.push(() => socket.write(S3_SUCCESS, 'latin1'));
      else if (typeof reply === 'object') socket.end(reply.end, 'latin1');
      else socket.write(reply, 'latin1');
    });
  };
  const certificate = options.tls ? loopbackCertificate() : undefined;
  const server = certificate
    ? (await import('node:tls')).createServer({ key: certificate.key, cert: certificate.cert }, onConnection)
    : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    ca: certificate?.cert,
    script,
    requests,
    connections: () => connections,
    /** Over TLS: whether each connection resumed a session (an abbreviated handshake). */
    resumed,
    mostOpen: () => mostOpen,
    release: () => held.splice(0).forEach((answer) => answer()),
    held: () => held.length,
    /** Connections open now (closed by either side: counted out once the server's socket closes). */
    open: () => open,
    closeIdle: () => sockets.forEach((socket) => socket.destroy()),
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const put = (port: number, key: string, body = `body of ${key}`, protocol = 'http:'): Exchange => ({
  protocol,
  hostname: '127.0.0.1',
  port,
  method: 'PUT',
  target: `/bucket/${key}?x-id=PutObject`,
  headers: {
    host: `127.0.0.1:${port}`,
    'content-length': String(Buffer.byteLength(body)),
    'content-type': 'text/html',
  },
  body: Buffer.from(body),
});

describe('the connections a deploy uses', () => {
  let server: Awaited<ReturnType<typeof startScripted>>;
  beforeEach(async () => {
    server = await startScripted();
  });
  afterEach(() => server.close());

  it('writes the request as node:http would (request line, headers as given, body) and reuses one connection', async () => {
    const pool = new ConnectionPool(new http.Agent({ keepAlive: true }));
    for (const key of ['a.html', 'b.html', 'c.html'])
      expect((await pool.exchange(put(server.port, key))).statusCode).toBe(200);
    expect(server.requests.map((request) => request.connection)).toEqual([1, 1, 1]);
    expect(server.requests[0]).toEqual({
      connection: 1,
      head: `PUT /bucket/a.html?x-id=PutObject HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\ncontent-length: 14\r\ncontent-type: text/html`,
      body: 'body of a.html',
    });
  });

  it('opens a new connection after Connection: close, HTTP/1.0 and a body read to the end', async () => {
    const pool = new ConnectionPool(new http.Agent({ keepAlive: true }));
    server.script.push(ANSWERS['Connection: close'] as string, {
      end: TO_THE_END['HTTP/1.1 with no length'] as string,
    });
    server.script.push(ANSWERS['HTTP/1.0 keep-alive'] as string, {
      end: TO_THE_END['HTTP/1.0 with no length (a proxy error page)'] as string,
    });
    await pool.exchange(put(server.port, '1'));
    expect((await pool.exchange(put(server.port, '2'))).body.toString()).toBe('broken');
    await pool.exchange(put(server.port, '3'));
    expect((await pool.exchange(put(server.port, '4'))).body.toString()).toBe('<html>bad gateway</html>');
    await pool.exchange(put(server.port, '5'));
    expect(server.requests.map((request) => request.connection)).toEqual([1, 2, 3, 3, 4]);
  });

  it('a connection the server closed while idle is not written to again: the next request opens another', async () => {
    const pool = new ConnectionPool(new http.Agent({ keepAlive: true }));
    await pool.exchange(put(server.port, 'before'));
    server.closeIdle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await pool.exchange(put(server.port, 'after'))).statusCode).toBe(200);
    expect(server.requests.map((request) => request.connection)).toEqual([1, 2]);
  });

  it('a connection closed before the answer fails as node:http fails it (ECONNRESET, which the SDK retries)', async () => {
    const pool = new ConnectionPool(new http.Agent({ keepAlive: true }));
    server.script.push('close');
    await expect(pool.exchange(put(server.port, 'cut'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await pool.exchange(put(server.port, 'again'))).statusCode).toBe(200);
  });

  it('never has more connections open than the agent’s maxSockets; the rest wait their turn', async () => {
    const pool = new ConnectionPool(new http.Agent({ keepAlive: true, maxSockets: 2 }));
    server.script.push('hold', 'hold', 'hold');
    const sent = ['1', '2', '3', '4', '5'].map((key) => pool.exchange(put(server.port, key)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.held()).toBe(2);
    while (server.requests.length < 5) {
      server.release();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    server.release();
    expect((await Promise.all(sent)).map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(server.mostOpen()).toBe(2);
  });

  it('an idle connection does not keep the process alive (as an agent’s free sockets do not)', async () => {
    const agent = new http.Agent({ keepAlive: true });
    // Whether each socket the agent opened holds the process (ref) or not (unref), as last told.
    const holds: boolean[] = [];
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof createConnection>) => {
      const socket = createConnection(...args) as net.Socket;
      const index = holds.push(true) - 1;
      const ref = socket.ref.bind(socket);
      const unref = socket.unref.bind(socket);
      socket.ref = () => ((holds[index] = true), ref());
      socket.unref = () => ((holds[index] = false), unref());
      return socket;
    };
    const pool = new ConnectionPool(agent);
    server.script.push('hold');
    const sent = pool.exchange(put(server.port, 'held'));
    while (server.held() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(holds).toEqual([true]); // in use: it holds the process, as a request should
    server.release();
    await sent;
    expect(holds).toEqual([false]);
    await pool.exchange(put(server.port, 'again')); // the same connection, held while in use and let go after
    expect(holds).toEqual([false]);
    expect(server.connections()).toBe(1);
  });

  it('over TLS: with the agent’s own ca, one handshake reused; refused without it, as the agent refuses', async () => {
    const secure = await startScripted({ tls: true });
    try {
      const pool = new ConnectionPool(new https.Agent({ keepAlive: true, ca: secure.ca }));
      for (const key of ['1', '2'])
        expect((await pool.exchange(put(secure.port, key, 'x', 'https:'))).statusCode).toBe(200);
      expect(secure.connections()).toBe(1);
      // Two more at once: they resume the agent's session instead of each making a full handshake.
      secure.script.push('hold', 'hold');
      const both = ['3', '4'].map((key) => pool.exchange(put(secure.port, key, 'x', 'https:')));
      while (secure.held() < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      secure.release();
      await Promise.all(both);
      expect(secure.resumed).toEqual([false, true]);
      const strict = new ConnectionPool(new https.Agent({ keepAlive: true }));
      await expect(strict.exchange(put(secure.port, '3', 'x', 'https:'))).rejects.toMatchObject({
        code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      });
    } finally {
      await secure.close();
    }
  });
});

/** PUTs sent one after another through node:http on `agent`: the oracle for what the pool does with connections. */
async function nodeSends(agent: http.Agent, port: number, keys: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const key of keys) {
    statuses.push(
      await new Promise<number>((resolve, reject) => {
        const request = http.request(
          { agent, host: '127.0.0.1', port, method: 'PUT', path: `/bucket/${key}` },
          (answer) => {
            answer.resume();
            answer.on('end', () => resolve(answer.statusCode ?? -1));
          },
        );
        request.on('error', reject);
        request.end(`body of ${key}`);
      }),
    );
  }
  return statuses;
}

/** What became of an exchange within `ms`: its status, its error's code, or 'still waiting'. */
function outcome(sent: Promise<Answer>, ms = 3000): Promise<number | string | undefined> {
  return Promise.race([
    sent.then(
      (answer) => answer.statusCode,
      (error: NodeJS.ErrnoException) => error.code,
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref()),
  ]);
}

/** The socket.setKeepAlive calls on every connection `agent` opens from now on. */
function keepAliveCalls(agent: http.Agent): unknown[][] {
  const calls: unknown[][] = [];
  const createConnection = agent.createConnection.bind(agent);
  agent.createConnection = (...args: Parameters<typeof createConnection>) => {
    const socket = createConnection(...args) as net.Socket;
    const setKeepAlive = socket.setKeepAlive.bind(socket);
    socket.setKeepAlive = ((enable?: boolean, delay?: number) => (
      calls.push([enable, delay]),
      setKeepAlive(enable, delay)
    )) as typeof socket.setKeepAlive;
    return socket;
  };
  return calls;
}

describe('review: what node:http does with a connection, the pool does too', () => {
  let server: Awaited<ReturnType<typeof startScripted>>;
  beforeEach(async () => {
    server = await startScripted();
  });
  afterEach(() => server.close());
  // node:http does not keep a connection the server closes within its buffer (a second) of the answer.
  const announcing = (seconds: number) =>
    `HTTP/1.1 200 OK\r\nKeep-Alive: timeout=${seconds}\r\nContent-Length: 0\r\n\r\n`;

  it('a connection the server closes within a second once idle (Keep-Alive: timeout=1) is not reused, as node:http does not reuse it', async () => {
    server.script.push(...Array.from({ length: 6 }, () => announcing(1)));
    const pool = new ConnectionPool(new http.Agent({ keepAlive: true }));
    for (const key of ['1', '2', '3']) await pool.exchange(put(server.port, key));
    const byPool = server.connections();
    await nodeSends(new http.Agent({ keepAlive: true }), server.port, ['4', '5', '6']);
    expect({ pool: byPool, 'node:http': server.connections() - byPool }).toEqual({ pool: 3, 'node:http': 3 });
  });

  it('idle connections get TCP keep-alive probes after agent.keepAliveMsecs, as node:http’s do (a NAT drops a silent one)', async () => {
    const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 3000 });
    const byPool = keepAliveCalls(agent);
    await new ConnectionPool(agent).exchange(put(server.port, 'a'));
    const oracle = new http.Agent({ keepAlive: true, keepAliveMsecs: 3000 });
    const byNode = keepAliveCalls(oracle);
    await nodeSends(oracle, server.port, ['b']);
    expect({ pool: byPool.at(-1), 'node:http': byNode.at(-1) }).toEqual({
      pool: [true, 3000],
      'node:http': [true, 3000],
    });
  });

  it('maxSockets counts per host, as the agent counts it: a second host does not wait for ever behind the first’s idle connection', async () => {
    const second = await startScripted();
    try {
      const pool = new ConnectionPool(new http.Agent({ keepAlive: true, maxSockets: 1 }));
      await pool.exchange(put(server.port, 'a'));
      const oracle = new http.Agent({ keepAlive: true, maxSockets: 1 });
      expect({
        pool: await outcome(pool.exchange(put(second.port, 'b'))),
        'node:http': [
          ...(await nodeSends(oracle, server.port, ['c'])),
          ...(await nodeSends(oracle, second.port, ['d'])),
        ],
      }).toEqual({ pool: 200, 'node:http': [200, 200] });
    } finally {
      await second.close();
    }
  });

  it('a connection the agent cannot even start gives its place back: every request fails as node:http’s does, none waits', async () => {
    const options = { keepAlive: true, maxSockets: 1, localAddress: 'not an address' };
    const pool = new ConnectionPool(new http.Agent(options));
    const ours = [
      await outcome(pool.exchange(put(server.port, 'a'))),
      await outcome(pool.exchange(put(server.port, 'b'))),
    ];
    const oracle = new http.Agent(options);
    const seen = await nodeSends(oracle, server.port, ['c']).catch((error: NodeJS.ErrnoException) => error.code);
    expect({ ours, 'node:http': seen }).toEqual({
      ours: ['ERR_INVALID_IP_ADDRESS', 'ERR_INVALID_IP_ADDRESS'],
      'node:http': 'ERR_INVALID_IP_ADDRESS',
    });
  });

  it('a store that refuses a 2 MiB body before reading it, then closes: the refusal is read, as node:http reads it', async () => {
    const refusing = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () =>
        socket.end(
          `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: ${S3_ERROR.length}\r\n\r\n${S3_ERROR}`,
        ),
      );
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = refusing.address() as net.AddressInfo;
      const pool = new ConnectionPool(new http.Agent({ keepAlive: true }));
      const big = 'x'.repeat(2 * 1024 * 1024 - 1);
      const answers = [];
      for (const key of ['a', 'b', 'c']) answers.push(comparable(await pool.exchange(put(port, key, big))));
      expect(answers.map((answer) => [answer?.statusCode, answer?.body])).toEqual(Array(3).fill([403, S3_ERROR]));
    } finally {
      refusing.close();
    }
  });
});

describe('review: an answer node:http refuses is refused at once, not waited on (the connection stays open)', () => {
  it.each([
    ['bare LF line ends', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'],
    ['one bare LF', 'HTTP/1.1 200 OK\r\nx-a: 1\nContent-Length: 0\r\n\r\n'],
    ['a CR in a value', 'HTTP/1.1 200 OK\r\nETag: "a\rb"\r\nContent-Length: 0\r\n\r\n'],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nETag: "a\x01b"\r\nContent-Length: 0\r\n\r\n'],
    [
      'trailers past 16 KiB that never end',
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nx-t: ${'a'.repeat(20 * 1024)}`,
    ],
  ])('%s', async (_name, raw) => {
    const seen = await nodeReads(raw).then(
      () => 'answer',
      (error: NodeJS.ErrnoException) => error.code,
    );
    const reader = new AnswerReader('PUT');
    let ours: string;
    try {
      ours = reader.feed(Buffer.from(raw, 'latin1')) === undefined ? 'still waiting' : 'answer';
    } catch (error) {
      ours = (error as NodeJS.ErrnoException).code ?? 'no code';
    }
    expect(seen).toMatch(/^HPE_/);
    expect(ours).toBe(seen);
  });
});
