// The sites the benchmark deploys, generated from a seed so every tool and every run sees the same bytes.
//
// - files: the 2,000-file site. A static site's mix of HTML, CSS, JS, images, fonts and data, 1 KiB to
//   200 KiB (log-uniform within each kind), plus three files over the 8 MiB multipart threshold; 108 MiB.
// - pages: the 2,000-page site. 2,000 HTML pages of 2 to 60 KiB and 1,000 assets (CSS, JS, images, fonts
//   of 1 to 200 KiB). The workload that matters here is a rebuild that stamps a new build id into every
//   page while the assets (hashed names) stay as they are: 2,000 small uploads.
// - small: 256 B to 4 KiB files, for the planning test (file count, not bytes), and a first deploy whose
//   CPU per file is the cost of a request, with next to no bytes to hash, encrypt or read.
// --files N scales each: N files; N pages and N/2 assets.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../local/s3-proxy.mjs';
import { MiB, KiB, log, seconds } from './report.mjs';

/** Every generated file gets this mtime, so a copy (a fresh checkout) is newer and a restore can go back. */
export const ORIGINAL_MTIME = new Date('2024-01-01T00:00:00Z');

const hex = (i) => ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
const PAGE = { min: 2, max: 60, key: (i) => (i % 3 ? `docs/s${i % 40}/page-${i}.html` : `blog/post-${i}/index.html`) };

/**
 * A static site's mix by share of files, with each kind's size range in KiB (sizes are log-uniform).
 * Every folder that holds folders also holds a file (blog/index.html, docs/index.html, images/*.png):
 * s3rver, the local S3 of the first figures, missed in a delimiter listing a common prefix whose objects all
 * sat two or more folders down, so rclone without --fast-list (which lists folder by folder) did not see
 * those objects. The local S3 lists them; the site keeps its shape so figures stay comparable.
 */
const KINDS = [
  { share: 0.18, ...PAGE },
  { share: 0.05, min: 2, max: 120, key: (i) => `css/style-${hex(i)}.css` },
  { share: 0.15, min: 1, max: 200, key: (i) => `js/chunk-${hex(i)}.js` },
  { share: 0.22, min: 4, max: 200, key: (i) => `images/img-${i}.png` },
  { share: 0.14, min: 8, max: 200, key: (i) => `images/photos/photo-${i}.jpg` },
  { share: 0.05, min: 1, max: 20, key: (i) => `images/icons/icon-${i}.svg` },
  { share: 0.05, min: 12, max: 120, key: (i) => `fonts/font-${i}.woff2` },
  { share: 0.16, min: 1, max: 80, key: (i) => `data/item-${i}.json` },
];
/** The pages site's assets: the same kinds without pages and data, in their shares. */
const ASSET_KINDS = KINDS.slice(1, 7);
/** Over the 8 MiB multipart threshold of the action and the CLI: 2, 2 and 3 parts of 8 MiB. */
export const LARGE_FILES = [
  { key: 'media/intro.mp4', size: 9 * MiB + 12_345 },
  { key: 'media/talk.mp4', size: 12 * MiB + 777 },
  { key: 'downloads/source.zip', size: 17 * MiB + 4_321 },
];
const TOP_FILES = [
  { key: 'index.html', size: 24 * KiB, page: true },
  { key: 'robots.txt', size: 1 * KiB },
  { key: 'sitemap.xml', size: 40 * KiB },
  { key: 'blog/index.html', size: 18 * KiB, page: true },
  { key: 'docs/index.html', size: 12 * KiB, page: true },
];

/** Where a page's build id sits: after its first line (its own key), so the rewrite keeps every size. */
export const BUILD_ID_LENGTH = 16;

export const SITES = {
  files: {
    title: (site) => `the ${site.entries.length.toLocaleString('en')}-file site`,
    workloads: ['first', 'nochange', 'fresh', 'changed', 'deleted'],
    manifest: (count, random) => {
      const large = LARGE_FILES.slice(0, Math.max(0, Math.min(3, count - 5)));
      const entries = TOP_FILES.slice(0, count).map((entry) => ({ ...entry }));
      for (let i = entries.length; i < count - large.length; i++) entries.push(drawn(KINDS, i, random));
      return [...entries, ...large];
    },
  },
  pages: {
    title: (site) => `the ${site.pages.length.toLocaleString('en')}-page site`,
    workloads: ['first', 'pages'],
    manifest: (count, random) => {
      const entries = [];
      for (let i = 0; i < count; i++) entries.push({ ...sized(PAGE, random), key: PAGE.key(i), page: true });
      for (let i = count; i < count + Math.round(count / 2); i++) entries.push(drawn(ASSET_KINDS, i, random));
      return entries;
    },
  },
  small: {
    title: (site) => `${site.entries.length.toLocaleString('en')} small files`,
    workloads: ['first'],
    manifest: (count, random) => {
      const entries = TOP_FILES.slice(0, count).map((entry) => ({ ...entry }));
      for (let i = entries.length; i < count; i++) {
        let roll = random();
        const kind = KINDS.find(({ share }) => (roll -= share) < 0) ?? KINDS[0];
        entries.push({ key: kind.key(i), size: logUniform(random, 256, 4 * KiB) });
      }
      return entries;
    },
  },
};

function logUniform(random, min, max) {
  return Math.round(min * Math.exp(random() * Math.log(max / min)));
}

function sized(kind, random) {
  return { size: logUniform(random, kind.min * KiB, kind.max * KiB) };
}

/** The i-th file of a mix: a kind drawn by share, a size within the kind's range. */
function drawn(kinds, i, random) {
  const total = kinds.reduce((sum, kind) => sum + kind.share, 0);
  let roll = random() * total;
  const kind = kinds.find(({ share }) => (roll -= share) < 0) ?? kinds[0];
  return { key: kind.key(i), ...sized(kind, random), ...(kind === KINDS[0] ? { page: true } : {}) };
}

/** Writes the site under a new temporary folder: { name, root, entries (each with its md5), pages, bytes }. */
export async function generateSite(name, { files, seed }) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `benchrun-${name}-`));
  const entries = SITES[name].manifest(files, seededRandom(seed));
  const started = performance.now();
  await writeSite(root, entries, seed);
  const bytes = entries.reduce((sum, { size }) => sum + size, 0);
  const site = { name, root, entries, pages: entries.filter((entry) => entry.page), bytes };
  log(`Generated ${SITES[name].title(site)}: ${entries.length} files, ${(bytes / MiB).toFixed(1)} MiB, in ${seconds(started).toFixed(1)} s: ${root}`);
  return site;
}

/** Bytes from a seeded noise pool, each file starting with its own key (so none are alike) and a build id. */
async function writeSite(root, entries, seed) {
  const random = seededRandom(seed ^ 0x5eed);
  const pool = Buffer.allocUnsafe(32 * MiB);
  for (let offset = 0; offset < pool.length; offset += 4) pool.writeUInt32LE((random() * 2 ** 32) >>> 0, offset);
  const directories = new Set(entries.map(({ key }) => path.dirname(path.join(root, key))));
  for (const directory of directories) await fs.mkdir(directory, { recursive: true });
  await inBatches(entries, 64, async (entry) => {
    const start = Math.floor(random() * (pool.length - entry.size));
    const body = Buffer.from(pool.subarray(start, start + entry.size));
    body.write(`${entry.key}\n`, 0);
    entry.md5 = md5(body);
    const file = path.join(root, entry.key);
    await fs.writeFile(file, body);
    await fs.utimes(file, ORIGINAL_MTIME, ORIGINAL_MTIME);
  });
}

/**
 * A new build of the same source: the page's build id (BUILD_ID_LENGTH bytes after its first line)
 * replaced by `buildId`. Same size, different bytes: a tool comparing sizes alone would miss it.
 */
export function stampBuildId(bytes, key, buildId) {
  const stamped = Buffer.from(bytes);
  const at = Math.min(key.length + 1, Math.max(0, stamped.length - BUILD_ID_LENGTH));
  stamped.write(buildId.padEnd(BUILD_ID_LENGTH, '-').slice(0, BUILD_ID_LENGTH), at);
  return stamped;
}

/** Runs `work` over items, `size` at a time: enough parallelism for the disk, bounded open files. */
export async function inBatches(items, size, work) {
  for (let index = 0; index < items.length; index += size) await Promise.all(items.slice(index, index + size).map(work));
}

export const md5 = (buffer) => createHash('md5').update(buffer).digest('hex');

/** Picks `count` distinct entries, the same ones for every tool and run (the same work is measured). */
export function pick(entries, count, seed) {
  const random = seededRandom(seed);
  const order = entries.map((entry) => ({ entry, rank: random() }));
  return order.sort((a, b) => a.rank - b.rank).slice(0, count).map(({ entry }) => entry);
}

/** Every file back to the original mtime: edits and restores leave files newer. */
export async function restoreMtimes(site) {
  await inBatches(site.entries, 64, (entry) => fs.utimes(path.join(site.root, entry.key), ORIGINAL_MTIME, ORIGINAL_MTIME));
}
