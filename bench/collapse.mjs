// CPU time of collapsing changed URLs into CloudFront invalidation paths (src/paths.ts, pure, no network).
//
//   node bench/collapse.mjs [--sizes 1000,10000,100000] [--max 15,3000] [--runs 3] [--seed 1]
//
// The URLs come from a generated site shaped like real ones: a blog by year and slug (each post an
// index.html, so three URLs), versioned docs several levels deep, images, and a few root pages; the changed
// pages are spread over all of it. Each size is timed with every `max` (15 is the action's default, 3,000
// CloudFront's limit per request); the figure is the best of `--runs`, in CPU seconds (user + system) of this
// process, which runs nothing else meanwhile. `autoInvalidationPaths` (keys to encoded URLs) is timed too
// when src/paths.ts has it.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { seededRandom } from '../local/s3-proxy.mjs';

const FLAGS = { sizes: '1000,10000,100000', max: '15,3000', runs: '3', seed: '1' };
const options = { ...FLAGS };
for (let index = 2; index < process.argv.length; index += 2) {
  const name = process.argv[index]?.replace(/^--/, '');
  if (!name || !(name in FLAGS)) throw new Error(`unknown flag ${process.argv[index]}; flags: ${Object.keys(FLAGS)}`);
  options[name] = process.argv[index + 1] ?? '';
}
const numbers = (list) => list.split(',').map(Number);

/** src/paths.ts as an ES module (it imports nothing), transpiled by the project's own TypeScript. */
async function loadPaths() {
  const source = await fs.readFile(new URL('../src/paths.ts', import.meta.url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  const file = path.join(os.tmpdir(), `paths-${randomUUID()}.mjs`);
  await fs.writeFile(file, outputText);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** Changed keys whose URLs number at least `urls`: pages under many directories, as a real site has. */
function changedKeys(urls, random) {
  const pick = (count) => Math.floor(random() * count);
  const keys = new Set(['index.html', 'about/index.html', '404.html', 'feed.xml']);
  let count = 0;
  while (count < urls) {
    const kind = random();
    let key;
    if (kind < 0.35) key = `blog/${2010 + pick(16)}/post-${pick(100_000)}/index.html`;
    else if (kind < 0.75) {
      key = `docs/v${pick(6)}/${['guide', 'api', 'cli', 'howto'][pick(4)]}/section-${pick(40)}/page-${pick(500)}.html`;
    } else if (kind < 0.95) key = `images/${['photos', 'icons', 'diagrams'][pick(3)]}/${pick(200)}/img-${pick(10_000)}.png`;
    else key = `tags/tag-${pick(5000)}/index.html`;
    if (keys.has(key)) continue;
    keys.add(key);
    count += key.endsWith('index.html') ? 3 : 1;
  }
  return [...keys];
}

function cpuSeconds(work) {
  const before = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(before);
  return { seconds: (used.user + used.system) / 1e6, result };
}

const paths = await loadPaths();
const runs = Number(options.runs);
console.log(`collapsePaths, CPU seconds (best of ${runs}); URLs from a generated site, seed ${options.seed}`);
for (const size of numbers(options.sizes)) {
  const keys = changedKeys(size, seededRandom(Number(options.seed)));
  const urls = keys.flatMap((key) => paths.urlPathsForKey(key, '')).map(paths.encodeInvalidationPath);
  const line = [`${String(urls.length).padStart(7)} URLs`];
  if (paths.autoInvalidationPaths) {
    const times = Array.from({ length: runs }, () => cpuSeconds(() => paths.autoInvalidationPaths(keys, '')));
    line.push(`autoInvalidationPaths ${Math.min(...times.map((t) => t.seconds)).toFixed(3)} s`);
  }
  for (const max of numbers(options.max)) {
    const times = Array.from({ length: runs }, () => cpuSeconds(() => paths.collapsePaths(urls, max)));
    const { result } = times[0];
    const wildcards = result.filter((entry) => entry.endsWith('*')).length;
    const best = Math.min(...times.map((t) => t.seconds));
    line.push(`max ${max}: ${best.toFixed(3)} s -> ${result.length} paths (${wildcards} wildcards)`);
  }
  console.log(line.join(' | '));
}
