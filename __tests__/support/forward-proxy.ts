/**
 * What a self-hosted runner sits behind: a forward proxy (absolute-form requests for http, CONNECT tunnels
 * for https) that records what passed through it, and a TLS front that gives a local server an https://
 * address, so the tunnel a real S3 endpoint needs can be tested on loopback.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

export interface Passage {
  /** 'CONNECT' for a tunnel, else the request's method. */
  method: string;
  /** host:port of the server reached. */
  target: string;
  proxyAuthorization?: string;
}

export interface ForwardProxy {
  url: string;
  passages: Passage[];
  /** Local ports of the connections the proxy opened to servers, to tell them from direct ones. */
  upstreamPorts: Set<number>;
  close(): Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const passages: Passage[] = [];
  const upstreamPorts = new Set<number>();
  const record = (method: string, target: string, headers: http.IncomingHttpHeaders) =>
    passages.push({
      method,
      target,
      ...(headers['proxy-authorization'] ? { proxyAuthorization: headers['proxy-authorization'] } : {}),
    });
  const sockets = new Set<net.Socket>();

  const server = http.createServer((request, response) => {
    const target = new URL(request.url ?? '');
    record(request.method ?? '', target.host, request.headers);
    const headers = { ...request.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: request.method,
        headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('socket', (socket) => socket.on('connect', () => upstreamPorts.add(socket.localPort ?? 0)));
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    record('CONNECT', request.url ?? '', request.headers);
    const [host = '', port = ''] = (request.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      upstreamPorts.add(upstream.localPort ?? 0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => client.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    passages,
    upstreamPorts,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A self-signed certificate for 127.0.0.1, made with the openssl command; the child trusts it through NODE_EXTRA_CA_CERTS. */
export async function loopbackCertificate(): Promise<{ key: string; cert: string; certFile: string }> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'cert-'));
  const keyFile = path.join(folder, 'key.pem');
  const certFile = path.join(folder, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { key: await fs.readFile(keyFile, 'utf8'), cert: await fs.readFile(certFile, 'utf8'), certFile };
}

export interface TlsFront {
  url: string;
  /** Remote ports of the connections it accepted. */
  clientPorts: number[];
  close(): Promise<void>;
}

/** https://127.0.0.1:PORT in front of a plain-http local server: TLS ends here, bytes pass through as they are. */
export async function startTlsFront(target: string, certificate: { key: string; cert: string }): Promise<TlsFront> {
  const upstream = new URL(target);
  const clientPorts: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(certificate, (client) => {
    clientPorts.push(client.remotePort ?? 0);
    const connection = net.connect(Number(upstream.port), upstream.hostname);
    client.pipe(connection).pipe(client);
    for (const socket of [client, connection]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        connection.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
    }
  });
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}`,
    clientPorts,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
