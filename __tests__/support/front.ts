/**
 * A loopback server in front of a local one, for the answers the local servers never give on their own (a
 * refusal of one request, another distribution config, a dropped connection). `answer` sees each request with
 * its whole body and answers it itself by returning a reply, or 'drop' to cut the connection; every other
 * request is relayed unchanged.
 */
import http from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Front {
  url: string;
  close(): Promise<void>;
}

export async function startFront(
  target: string,
  answer: (request: http.IncomingMessage, body: Buffer) => Reply | 'drop' | undefined,
): Promise<Front> {
  const upstream = new URL(target);
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const reply = answer(request, body);
      if (reply === 'drop') {
        request.socket.destroy();
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      // Clients keep their connections alive: close them too, or close() waits for them.
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
