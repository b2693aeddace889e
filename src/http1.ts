/**
 * One HTTP/1.1 exchange (a request written, its answer read) on keep-alive connections that the agent
 * opens, for the fast PutObject. Hand-written because what costs the CPU is the HTTP library itself: on
 * this project's 2-core machine a 4 KiB PUT over HTTPS costs 0.21 ms with node:http on a warm agent, 0.14
 * with undici's lowest API and 0.10 written on the socket; over a deploy's first 2,000 requests (sockets
 * opened and code not yet optimised) 0.42-0.50, 0.42-0.45 and 0.23-0.25 (bench/request-cost.mjs, with and
 * without --cold): undici saves nothing where a deploy spends most. A PUT's answer is
 * the easy part of HTTP: no request body streamed, no pipelining, no upgrade, an answer of a few hundred
 * bytes. Only that part is here; anything else (a proxy, a timeout, an agent that is not Node's) goes
 * through node:http, in send-request.ts.
 *
 * The answer is read as RFC 9112 frames it, as llhttp (node:http's parser) reads it: 1xx answers skipped,
 * Transfer-Encoding chunked (over Content-Length), Content-Length, or the body up to the connection's end;
 * HTTP/1.0 and `Connection: close` end the connection. Failures carry the codes node:http gives them
 * (ECONNRESET for a connection lost before the answer's end, HPE_* for an answer that is not HTTP), so the
 * SDK's retry strategy judges them alike.
 */
import type http from 'node:http';
import type net from 'node:net';
import { isIP } from 'node:net';

export interface Exchange {
  protocol: string;
  hostname: string;
  port?: number | undefined;
  method: string;
  /** Path and query, as the request line carries it. */
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Answer {
  statusCode: number;
  reason: string;
  /** Lower-case names; a repeated header's values joined with ', ', or its first kept, as node:http does. */
  headers: Record<string, string>;
  body: Buffer;
}

/** node:http's limit on an answer's header section (--max-http-header-size's default). */
const MAX_HEAD = 16 * 1024;
/** Kept of an answer's body (S3's error documents are a few hundred bytes); the rest is read and dropped. */
const MAX_BODY = 1024 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/** node:http's checks on what it writes (validateHeaderName, checkInvalidHeaderChar, INVALID_PATH_REGEX). */
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const BAD_TARGET = /[^\u0021-\u00ff]/;
/** An LF without its CR, which llhttp refuses in a head. */
const BARE_LF = /(?<!\r)\n/;
/**
 * Headers of which node:http keeps the first and drops repeats (_http_incoming's matchKnownFields);
 * Content-Length is not among them here: two of it are refused (framingOf), as llhttp refuses them.
 */
const FIRST_ONLY = new Set(
  'age authorization content-type etag expires from host if-modified-since if-unmodified-since last-modified location max-forwards proxy-authorization referer retry-after server user-agent'.split(
    ' ',
  ),
);
/** node:http does not keep a connection the server closes within this of the answer (Keep-Alive: timeout=N). */
const KEEP_ALIVE_BUFFER_MS = 1000;

/** True when node:http would write this request as it stands (it throws on the rest: let it). */
export function writable(exchange: Exchange): boolean {
  if (BAD_TARGET.test(exchange.target) || !TOKEN.test(exchange.method)) return false;
  for (const name in exchange.headers) {
    if (!TOKEN.test(name) || BAD_VALUE.test(exchange.headers[name] as string)) return false;
  }
  return true;
}

/** The request's bytes before its body, as node:http writes them (latin1). */
export function requestHead(exchange: Exchange): string {
  let head = `${exchange.method} ${exchange.target} HTTP/1.1\r\n`;
  for (const name in exchange.headers) head += `${name}: ${exchange.headers[name]}\r\n`;
  return `${head}\r\n`;
}

function failure(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

const hangUp = () => failure('socket hang up', 'ECONNRESET');

/**
 * Reads one answer from the bytes of a connection, fed as they come. Pure: no socket, so every framing is
 * tested byte by byte (http1.test).
 */
export class AnswerReader {
  private pending: Buffer = Buffer.alloc(0);
  private head: { statusCode: number; reason: string; headers: Record<string, string>; version: string } | undefined;
  /** Bytes of body still to come (Content-Length), 'chunked', or 'close' (up to the connection's end). */
  private framing: number | 'chunked' | 'close' = 0;
  /** Within chunked: the current chunk's data bytes still to come (0: its CRLF), or -1 when a size line is next. */
  private chunkLeft = -1;
  private trailers = false;
  /** Trailer bytes read: their section is limited as a head is. */
  private trailerBytes = 0;
  private body: Buffer[] = [];
  private kept = 0;
  /** Once read: whether the connection may carry another request (and no byte came after the answer). */
  keepAlive = false;

  constructor(private readonly method: string) {}

  /** The answer once its last byte is in, else undefined. Throws an HPE_* error on bytes that are not HTTP. */
  feed(chunk: Buffer): Answer | undefined {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.head === undefined) {
        const end = this.pending.indexOf(HEAD_END);
        if (end === -1) {
          if (this.pending.length > MAX_HEAD) throw failure('Header overflow', 'HPE_HEADER_OVERFLOW');
          // A head with bare LF line ends would never end here: llhttp refuses it at once.
          if (BARE_LF.test(this.pending.toString('latin1')))
            throw failure('Missing expected CR after header value', 'HPE_CR_EXPECTED');
          return undefined;
        }
        if (end > MAX_HEAD) throw failure('Header overflow', 'HPE_HEADER_OVERFLOW');
        const head = this.pending.toString('latin1', 0, end);
        this.pending = this.pending.subarray(end + 4);
        const parsed = parseHead(head);
        // 1xx answers (100 Continue, 103 Early Hints) come before the answer. A 101 switches protocols, which
        // no PUT asked for: llhttp pauses on it (its code below), and node:http, with no 'upgrade' listener,
        // then never answers at all.
        if (parsed.statusCode === 101) throw failure('Unexpected protocol upgrade', 'HPE_PAUSED_UPGRADE');
        if (parsed.statusCode < 200) continue;
        this.head = parsed;
        this.framing = framingOf(parsed, this.method);
      }
      if (this.framing === 'close') {
        this.take(this.pending);
        this.pending = Buffer.alloc(0);
        return undefined;
      }
      if (this.framing === 'chunked') {
        if (!this.readChunks()) return undefined;
      } else {
        const part = this.pending.subarray(0, this.framing);
        this.take(part);
        this.framing -= part.length;
        this.pending = this.pending.subarray(part.length);
        if (this.framing > 0) return undefined;
      }
      return this.done(this.pending.length === 0);
    }
  }

  /** The connection ended: the answer if its body ran to the end, else the error node:http gives. */
  end(): Answer {
    if (this.head !== undefined && this.framing === 'close') return this.done(false);
    throw hangUp();
  }

  private done(clean: boolean): Answer {
    const head = this.head as NonNullable<AnswerReader['head']>;
    const connection = (head.headers.connection ?? '').toLowerCase();
    const persistent = head.version === '1.1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    // As node:http's agent: not kept when the server closes it within a second of being idle (the next
    // request would race that close and fail with ECONNRESET, a retry the SDK spends its budget on).
    const closesIn = /^timeout=(\d+)/.exec(head.headers['keep-alive'] ?? '')?.[1];
    const closesSoon = closesIn !== undefined && Number(closesIn) * 1000 <= KEEP_ALIVE_BUFFER_MS;
    this.keepAlive = clean && this.framing !== 'close' && persistent && !closesSoon;
    return {
      statusCode: head.statusCode,
      reason: head.reason,
      headers: head.headers,
      body: this.body.length === 1 ? (this.body[0] as Buffer) : Buffer.concat(this.body),
    };
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0 || this.kept >= MAX_BODY) return;
    const part = bytes.subarray(0, MAX_BODY - this.kept);
    this.body.push(part);
    this.kept += part.length;
  }

  /** Reads chunks from pending; true once the last chunk and the trailers are in. */
  private readChunks(): boolean {
    for (;;) {
      if (this.trailers) {
        // Trailer lines up to an empty one; they carry nothing this path reads.
        const end = this.pending.indexOf(CRLF);
        this.trailerBytes += end === -1 ? 0 : end + 2;
        if (this.trailerBytes + (end === -1 ? this.pending.length : 0) > MAX_HEAD) {
          throw failure('Header overflow', 'HPE_HEADER_OVERFLOW');
        }
        if (end === -1) return false;
        checkLine(this.pending.toString('latin1', 0, end));
        this.pending = this.pending.subarray(end + 2);
        if (end === 0) return true;
        continue;
      }
      if (this.chunkLeft === -1) {
        const end = this.pending.indexOf(CRLF);
        if (end === -1) {
          if (this.pending.length > 1024) throw failure('Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE');
          return false;
        }
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(this.pending.toString('latin1', 0, end))?.[1];
        if (size === undefined) throw failure('Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE');
        this.pending = this.pending.subarray(end + 2);
        this.chunkLeft = Number.parseInt(size, 16);
        if (this.chunkLeft === 0) this.trailers = true;
        continue;
      }
      if (this.chunkLeft > 0) {
        const part = this.pending.subarray(0, this.chunkLeft);
        this.take(part);
        this.chunkLeft -= part.length;
        this.pending = this.pending.subarray(part.length);
        if (this.chunkLeft > 0) return false;
      }
      // The CRLF that ends a chunk's data.
      if (this.pending.length < 2) return false;
      if (this.pending[0] !== 13 || this.pending[1] !== 10) {
        throw failure('Missing expected CR after chunk data', 'HPE_STRICT');
      }
      this.pending = this.pending.subarray(2);
      this.chunkLeft = -1;
    }
  }
}

/**
 * Throws the error llhttp gives for a line of a head or trailers (split at CRLF) with a byte it refuses: an
 * LF or CR not paired as CRLF, a control character but HTAB.
 */
function checkLine(line: string): void {
  const bad = BAD_VALUE.exec(line)?.[0];
  if (bad === '\n') throw failure('Missing expected CR after header value', 'HPE_CR_EXPECTED');
  if (bad === '\r') throw failure('Missing expected LF after header value', 'HPE_LF_EXPECTED');
  if (bad !== undefined) throw failure('Invalid header value char', 'HPE_INVALID_HEADER_TOKEN');
}

function parseHead(text: string): NonNullable<AnswerReader['head']> {
  const lines = text.split('\r\n');
  checkLine(lines[0] as string);
  const status = /^HTTP\/(1\.[01]) (\d{3})(?: (.*))?$/.exec(lines[0] as string);
  if (!status) throw failure('Expected HTTP/', 'HPE_INVALID_CONSTANT');
  const headers: Record<string, string> = {};
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index] as string;
    checkLine(line);
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon < 1 || !TOKEN.test(name)) throw failure('Invalid header token', 'HPE_INVALID_HEADER_TOKEN');
    const value = line.slice(colon + 1).trim();
    const before = headers[name];
    if (before === undefined) headers[name] = value;
    else if (!FIRST_ONLY.has(name)) headers[name] = `${before}, ${value}`;
  }
  return { version: status[1] as string, statusCode: Number(status[2]), reason: status[3] ?? '', headers };
}

function framingOf(head: NonNullable<AnswerReader['head']>, method: string): number | 'chunked' | 'close' {
  const { statusCode, headers } = head;
  if (method === 'HEAD' || statusCode === 204 || statusCode === 304) return 0;
  const coding = headers['transfer-encoding'];
  if (coding !== undefined) {
    // Chunked only as the last coding; any other transfer coding is read to the connection's end.
    return /(?:^|,)\s*chunked\s*$/i.test(coding) ? 'chunked' : 'close';
  }
  const length = headers['content-length'];
  if (length === undefined) return 'close';
  // A repeated Content-Length arrives joined with ', ' (parseHead), as llhttp refuses it: two lengths.
  if (length.includes(',')) throw failure('Duplicate Content-Length', 'HPE_UNEXPECTED_CONTENT_LENGTH');
  if (!/^\d{1,15}$/.test(length)) throw failure('Invalid character in Content-Length', 'HPE_INVALID_CONTENT_LENGTH');
  return Number(length);
}

/** A connection of the pool: its socket, and the exchange it carries now, if any. */
interface Connection {
  socket: net.Socket;
  /** host:port, as the pool files it. */
  key: string;
  current: ((event: { data?: Buffer; error?: NodeJS.ErrnoException; closed?: true }) => void) | undefined;
  dropped: boolean;
}

/**
 * Keep-alive connections to one agent's servers, opened by the agent's createConnection with its options
 * (so its TLS settings: ca, client certificates, rejectUnauthorized), at most agent.maxSockets at once to
 * each host:port, as the agent counts them. Idle connections do not hold the process open, as an agent's
 * free sockets do not, and get TCP keep-alive probes as the agent's do (a NAT or firewall forgets a silent
 * connection, and a request written on it would wait for ever).
 */
export class ConnectionPool {
  private readonly idle = new Map<string, Connection[]>();
  /** By host:port: requests waiting for a connection, and the connections open or opening. */
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly open = new Map<string, number>();

  constructor(private readonly agent: http.Agent) {}

  /** Sends the request and reads its answer. */
  async exchange(exchange: Exchange): Promise<Answer> {
    const connection = await this.connection(exchange);
    return new Promise<Answer>((resolve, reject) => {
      const reader = new AnswerReader(exchange.method);
      let written = false;
      let settled = false;
      const finish = (answer: Answer | undefined, error?: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        connection.current = undefined;
        if (answer === undefined || !reader.keepAlive) this.drop(connection);
        // Reused once the whole request is out (node:http waits for 'finish' alike): at once, or in write's callback.
        else if (written) this.release(connection);
        if (answer !== undefined) resolve(answer);
        else reject(error ?? hangUp());
      };
      connection.current = ({ data, error, closed }) => {
        if (error !== undefined) return finish(undefined, error);
        try {
          const answer = closed ? reader.end() : reader.feed(data as Buffer);
          if (answer !== undefined) finish(answer);
        } catch (bad) {
          finish(undefined, bad as NodeJS.ErrnoException);
        }
      };
      const { socket } = connection;
      socket.cork();
      socket.write(requestHead(exchange), 'latin1');
      socket.write(exchange.body, (error) => {
        written = true;
        if (settled && reader.keepAlive && !connection.dropped) {
          if (error) this.drop(connection);
          else this.release(connection);
        }
      });
      socket.uncork();
    });
  }

  private async connection(exchange: Exchange): Promise<Connection> {
    const host = exchange.hostname.startsWith('[') ? exchange.hostname.slice(1, -1) : exchange.hostname;
    const port = exchange.port ?? (exchange.protocol === 'https:' ? 443 : 80);
    const key = `${host}:${port}`;
    for (;;) {
      const idle = this.idle.get(key);
      let reused: Connection | undefined;
      while (idle !== undefined && (reused = idle.pop()) !== undefined && reused.dropped);
      if (reused !== undefined) {
        reused.socket.ref();
        return reused;
      }
      if ((this.open.get(key) ?? 0) < this.agent.maxSockets) break;
      // Every connection is busy or opening: wait for one to come back or go.
      await new Promise<void>((resolve) => {
        const waiting = this.waiting.get(key);
        if (waiting) waiting.push(resolve);
        else this.waiting.set(key, [resolve]);
      });
    }
    this.open.set(key, (this.open.get(key) ?? 0) + 1);
    return this.connect(host, port, key, exchange.protocol === 'https:');
  }

  private connect(host: string, port: number, key: string, secure: boolean): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const options: http.RequestOptions & { _agentKey?: string } = {
        ...(this.agent as unknown as { options: object }).options,
        host,
        port,
        // As the agent names the server: never an IP address (RFC 6066).
        ...(secure ? { servername: isIP(host) ? '' : host } : {}),
      };
      // The key under which an https agent keeps TLS sessions, as it passes it for its own sockets: these
      // connections then resume the session of the one that listed the bucket (and one another's) instead
      // of each making a full handshake. Without it (an http agent), nothing is cached.
      if (secure) options._agentKey = this.agent.getName(options);
      let socket: net.Socket;
      try {
        socket = (this.agent as unknown as { createConnection: (options: object) => net.Socket }).createConnection(
          options,
        );
      } catch (error) {
        // Options the agent refuses (node:http throws them from http.request): the place is given back.
        this.gone(key);
        throw error;
      }
      const connection: Connection = { socket, key, current: undefined, dropped: false };
      let connected = false;
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        connected = true;
        socket.setKeepAlive(true, (this.agent as unknown as { keepAliveMsecs: number }).keepAliveMsecs);
        resolve(connection);
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (connected) connection.current?.({ error });
        else reject(error);
        this.drop(connection);
      });
      socket.on('data', (data: Buffer) => {
        // Bytes nobody asked for: this connection cannot be trusted with the next answer.
        if (connection.current) connection.current({ data });
        else this.drop(connection);
      });
      socket.on('close', () => {
        connection.current?.({ closed: true });
        this.drop(connection);
      });
    });
  }

  private release(connection: Connection): void {
    connection.socket.unref();
    const list = this.idle.get(connection.key);
    if (list) list.push(connection);
    else this.idle.set(connection.key, [connection]);
    this.waiting.get(connection.key)?.shift()?.();
  }

  /** A connection that carries no more requests: closed, and its place given to a waiting request. */
  private drop(connection: Connection): void {
    if (connection.dropped) return;
    connection.dropped = true;
    connection.socket.destroy();
    this.gone(connection.key);
  }

  /** A connection to `key` is no more: its place goes to a request waiting for one. */
  private gone(key: string): void {
    this.open.set(key, (this.open.get(key) ?? 1) - 1);
    this.waiting.get(key)?.shift()?.();
  }
}
