// The action's cold start: from spawning `node dist/index.js` (as a runner does) to the first request
// reaching S3, here a local listener that answers 500 so the action stops. Median of 7 runs.
// Run: node bench/cold-start.mjs
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { ACTION_ENTRY, inputVariables } from '../local/run-action.mjs';

const RUNS = 7;
const sampleSite = fileURLToPath(new URL('../demo/site', import.meta.url));

async function oneRun() {
  let firstRequest;
  const arrived = new Promise((resolve) => (firstRequest = resolve));
  const server = http.createServer((request, response) => {
    firstRequest(Date.now());
    response.writeHead(500).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = Date.now();
  const child = spawn(process.execPath, [ACTION_ENTRY], {
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${server.address().port}`,
      GITHUB_OUTPUT: '/dev/null',
      ...inputVariables({ source: sampleSite, bucket: 'cold-start', 'force-path-style': 'true' }),
    },
  });
  const elapsed = (await arrived) - started;
  child.kill();
  server.closeAllConnections();
  server.close();
  return elapsed;
}

const times = [];
for (let run = 0; run < RUNS; run++) times.push(await oneRun());
times.sort((a, b) => a - b);
console.log(`cold start to first S3 request (ms): ${times.join(' ')}; median ${times[Math.floor(RUNS / 2)]}`);
