/** Whole HTTP/1.1 requests (head and Content-Length body) as they arrive on a loopback server's socket. */
import type net from 'node:net';

export function onRequests(socket: net.Socket, request: (head: string, body: string) => void): void {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = pending.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (pending.length < end + 4 + length) return;
      const body = pending.toString('latin1', end + 4, end + 4 + length);
      pending = pending.subarray(end + 4 + length);
      request(head, body);
    }
  });
}
