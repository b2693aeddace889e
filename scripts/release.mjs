// Releases the action the way the official actions do: an immutable tag vX.Y.Z on a commit whose dist/ is the
// bundle of its sources, and the major tag vN moved to it, so `@v1` users get it and `@v1.2.3` or `@<sha>`
// users keep what they pinned. Every check runs before anything changes; --dry-run prints what would be done.
//
//   node scripts/release.mjs X.Y.Z [--dry-run]
//     A maintainer, on an up-to-date main with a clean tree and a CHANGELOG entry `## [X.Y.Z]`: sets the
//     version in package.json, commits, tags vX.Y.Z, points vN at it, pushes main and both tags.
//   node scripts/release.mjs --tag vX.Y.Z [--notes FILE] [--dry-run]
//     .github/workflows/release.yml on a pushed tag: checks the tag (on main, package.json, CHANGELOG, dist/),
//     writes the CHANGELOG entry to FILE for the GitHub release, and moves vN if this is the newest vN.x.y.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** [major, minor, patch] of `X.Y.Z` or `vX.Y.Z`, or null. Pre-releases are not made by this script. */
export function parseVersion(text) {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

export function compareVersions(a, b) {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The CHANGELOG section `## [X.Y.Z]` (without its heading), or null when there is none or it is empty. */
export function changelogEntry(changelog, version) {
  const lines = changelog.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`## [${version}]`));
  if (start === -1) return null;
  const next = lines.findIndex((line, index) => index > start && /^## /.test(line));
  const body = lines
    .slice(start + 1, next === -1 ? undefined : next)
    .join('\n')
    .trim();
  return body === '' ? null : body;
}

/** The newest release tag of the same major as `version`, among `tags`, or null. */
export function newestOfMajor(tags, version) {
  const releases = tags.map((tag) => ({ tag, version: parseVersion(tag) })).filter((entry) => entry.version);
  const same = releases.filter((entry) => entry.version[0] === version[0]);
  same.sort((a, b) => compareVersions(b.version, a.version));
  return same[0]?.tag ?? null;
}

function git(...args) {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd();
}
const gitOk = (...args) => spawnSync('git', args, { stdio: 'ignore' }).status === 0;
const commitOf = (ref) =>
  gitOk('rev-parse', '--verify', '--quiet', `${ref}^{commit}`) ? git('rev-parse', `${ref}^{commit}`) : null;
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/**
 * dist/ rebuilt from nothing must equal the committed one (a chunk the build no longer makes counts as
 * stale). The tree was clean before, so restoring dist/ afterwards leaves it exactly as it was.
 */
function distProblems() {
  console.log('Rebuilding dist/ from nothing (npm run build) to compare it with the committed one...');
  fs.rmSync('dist', { recursive: true, force: true });
  try {
    const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
    if (build.status !== 0) return [`npm run build failed:\n${build.stdout}${build.stderr}`];
    const changed = git('status', '--porcelain', '--', 'dist');
    return changed ? [`dist/ is not the bundle of the sources: run 'npm run build' and commit dist/.\n${changed}`] : [];
  } finally {
    git('checkout', '--', 'dist');
    git('clean', '-fdq', '--', 'dist');
  }
}

/** Stops with every problem found, if any. */
function refuseIfAny(problems) {
  if (problems.length === 0) return;
  for (const problem of problems) console.error(`release: ${problem}`);
  process.exit(1);
}

/** Runs each step, or in a dry run only prints it. */
function execute(steps, dryRun) {
  for (const [index, { say, run }] of steps.entries()) {
    console.log(`${dryRun ? 'would ' : ''}${say}`);
    if (dryRun) continue;
    try {
      run();
    } catch (error) {
      const done = steps.slice(0, index).map((step) => step.say);
      refuseIfAny([
        `'${say}' failed: ${String(error.stderr || error.message).trim()}`,
        `done before it: ${done.join('; ') || 'nothing'}`,
      ]);
    }
  }
}

function majorTagSteps(major, commit, version) {
  const current = commitOf(major);
  if (current === commit) return [{ say: `leave ${major}: it already points at ${commit.slice(0, 12)}`, run() {} }];
  return [
    { say: `point ${major} at ${version} (${commit.slice(0, 12)})`, run: () => git('tag', '--force', major, commit) },
    { say: `push ${major} (--force)`, run: () => git('push', '--force', 'origin', `refs/tags/${major}`) },
  ];
}

function release(versionText, dryRun) {
  const version = parseVersion(versionText);
  if (!version || versionText.startsWith('v')) refuseIfAny([`expected a version X.Y.Z, got '${versionText}'`]);
  const name = version.join('.');
  const tag = `v${name}`;
  const major = `v${version[0]}`;
  const problems = [];

  const branch = gitOk('symbolic-ref', '--quiet', 'HEAD') ? git('symbolic-ref', '--short', 'HEAD') : '(detached)';
  if (branch !== 'main') problems.push(`releases are made from main, not ${branch}`);
  const dirty = git('status', '--porcelain');
  if (dirty) problems.push(`the working tree is not clean:\n${dirty}`);
  if (dryRun) console.log('Dry run: origin is not fetched; comparing with the last fetched origin/main.');
  else {
    try {
      git('fetch', '--quiet', '--tags', 'origin', 'main');
    } catch (error) {
      problems.push(`could not fetch origin: ${String(error.stderr || error.message).trim()}`);
    }
  }
  const remote = commitOf('refs/remotes/origin/main');
  if (remote === null) problems.push('there is no origin/main to release from');
  else if (remote !== git('rev-parse', 'HEAD'))
    problems.push('main is not the same commit as origin/main: pull or push first');

  const tags = git('tag', '--list', 'v*').split('\n').filter(Boolean);
  if (tags.includes(tag)) problems.push(`${tag} already exists`);
  const newest = newestOfMajor(tags, version);
  if (newest && compareVersions(version, parseVersion(newest)) <= 0) {
    problems.push(`${tag} is not newer than ${newest}: ${major} only moves forward`);
  }
  const packageVersion = readJson('package.json').version;
  const current = parseVersion(packageVersion);
  if (!current || compareVersions(version, current) < 0)
    problems.push(`${name} is older than package.json's ${packageVersion}`);
  if (!changelogEntry(fs.readFileSync('CHANGELOG.md', 'utf8'), name)) {
    problems.push(
      `CHANGELOG.md has no entry for ${name}: move the [Unreleased] items under '## [${name}] - YYYY-MM-DD'`,
    );
  }
  refuseIfAny(problems); // before the slow build: a wrong branch or version fails at once
  refuseIfAny(distProblems());
  console.log(`dist/ is the bundle of the sources. Releasing ${tag}:`);

  const steps = [];
  if (packageVersion !== name) {
    steps.push(
      { say: `set version ${name} in package.json and package-lock.json`, run: () => setVersion(name) },
      { say: `commit "Release ${tag}"`, run: () => git('commit', '--quiet', '-am', `Release ${tag}`) },
    );
  }
  steps.push(
    { say: `tag ${tag} (annotated)`, run: () => git('tag', '--annotate', tag, '-m', tag) },
    { say: `point ${major} at ${tag}`, run: () => git('tag', '--force', major, `${tag}^{commit}`) },
    {
      say: `push main and ${tag}`,
      run: () => git('push', '--atomic', 'origin', 'HEAD:refs/heads/main', `refs/tags/${tag}`),
    },
    { say: `push ${major} (--force)`, run: () => git('push', '--force', 'origin', `refs/tags/${major}`) },
  );
  execute(steps, dryRun);
}

/** Sets the version in package.json and package-lock.json, keeping npm's formatting. */
function setVersion(name) {
  const pkg = readJson('package.json');
  pkg.version = name;
  fs.writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
  if (!fs.existsSync('package-lock.json')) return;
  const lock = readJson('package-lock.json');
  lock.version = name;
  if (lock.packages?.['']) lock.packages[''].version = name;
  fs.writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
}

function onTag(tag, notesFile, dryRun) {
  const version = parseVersion(tag);
  if (!version || !tag.startsWith('v')) refuseIfAny([`expected a tag vX.Y.Z, got '${tag}'`]);
  const name = version.join('.');
  const major = `v${version[0]}`;
  const commit = commitOf(tag);
  const problems = [];
  if (commit === null) refuseIfAny([`there is no tag ${tag}`]);
  if (commit !== git('rev-parse', 'HEAD')) problems.push(`HEAD is not ${tag}: check the tag out first`);
  if (!gitOk('merge-base', '--is-ancestor', commit, 'refs/remotes/origin/main')) {
    problems.push(`${tag} is not on origin/main (fetch with full history: actions/checkout's fetch-depth: 0)`);
  }
  const packageVersion = readJson('package.json').version;
  if (packageVersion !== name) problems.push(`package.json says ${packageVersion}, the tag ${tag}`);
  const notes = changelogEntry(fs.readFileSync('CHANGELOG.md', 'utf8'), name);
  if (!notes) problems.push(`CHANGELOG.md has no entry for ${name}`);
  if (git('status', '--porcelain')) problems.push('the working tree is not clean');
  refuseIfAny(problems);
  refuseIfAny(distProblems());
  console.log(`${tag}: on main, package.json and CHANGELOG agree, dist/ is the bundle of the sources.`);
  if (notesFile) fs.writeFileSync(notesFile, `${notes}\n`);

  const newest = newestOfMajor(git('tag', '--list', 'v*').split('\n').filter(Boolean), version);
  if (newest !== tag) {
    console.log(`${newest} is newer than ${tag}: ${major} stays where it is.`);
    return;
  }
  execute(majorTagSteps(major, commit, tag), dryRun);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dryRun = args.includes('--dry-run');
  const valueOf = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const positional = args.filter(
    (arg, index) => !arg.startsWith('--') && !['--tag', '--notes'].includes(args[index - 1] ?? ''),
  );
  const tag = valueOf('--tag');
  if (tag) onTag(tag, valueOf('--notes'), dryRun);
  else if (positional.length === 1) release(positional[0], dryRun);
  else refuseIfAny(['usage: node scripts/release.mjs X.Y.Z [--dry-run] | --tag vX.Y.Z [--notes FILE] [--dry-run]']);
}
