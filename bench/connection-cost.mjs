// Client CPU of opening keep-alive HTTPS connections, against sending requests on connections already open:
// a deploy opens one per request in flight (up to 72), and a deploy of a few thousand files cannot spread
// that cost. The local S3 (fast mode) behind the rig's front (local/s3-proxy.mjs: TLS, 20 ms per request)
// runs in a child process, so the CPU measured is this process's alone. One request first opens a
// connection whose TLS session the others resume (the Agent keeps it, as the SDK's agents do); then
// rounds of `--connections` requests at once: on new connections (the open ones destroyed first), and on
// the open ones.
//   node bench/connection-cost.mjs [--connections 64] [--rounds 3] [--latency 20]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
};
// The server is request-cost.mjs's: the local S3 behind the front, in a child process.
const SERVER = fileURLToPath(new URL('./request-cost.mjs', import.meta.url));
const BUCKET = 'cost-bucket';

const connections = Number(argument('connections', '64'));
const rounds = Number(argument('rounds', '3'));
const latency = argument('latency', '20');
const child = spawn(process.execPath, [SERVER, '--serve', '--tls', '--latency', latency], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const { url, certFile } = JSON.parse((await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()).value);
const target = new URL(url);
const agent = new https.Agent({ keepAlive: true, maxSockets: connections, ca: fs.readFileSync(certFile, 'utf8') });
const resumed = { yes: 0, no: 0 };
agent.on('free', (socket) => {
  if (socket.counted) return;
  socket.counted = true;
  resumed[socket.isSessionReused() ? 'yes' : 'no']++;
});
const list = () =>
  new Promise((resolve, reject) => {
    const request = https.request(
      { agent, host: target.hostname, port: target.port, method: 'GET', path: `/${BUCKET}?list-type=2` },
      (answer) => answer.resume().on('end', resolve),
    );
    request.on('error', reject);
    request.end();
  });
const cpuOf = async (work) => {
  const before = process.cpuUsage();
  await work();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
};
const wave = () => Promise.all(Array.from({ length: connections }, list));
await list();
await wave(); // warm-up: the code paths of both kinds of round
const fresh = [];
const open = [];
for (let round = 0; round < rounds; round++) {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  fresh.push(await cpuOf(wave));
  open.push(await cpuOf(wave));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const perConnection = (median(fresh) - median(open)) / connections;
console.log(`${connections} requests on new connections: ${fresh.map((ms) => ms.toFixed(1)).join(' ')} ms of client CPU`);
console.log(`${connections} requests on open connections: ${open.map((ms) => ms.toFixed(1)).join(' ')} ms of client CPU`);
console.log(`A new connection: ${perConnection.toFixed(2)} ms of client CPU (medians); TLS sessions resumed ${resumed.yes}, full handshakes ${resumed.no}; ${latency} ms per request, Node ${process.version}`);
agent.destroy();
child.stdin.end();
await new Promise((resolve) => child.once('exit', resolve));
