// scripts/release.mjs in a temporary clone of this repository whose `origin` is a bare repository next to
// it: the dry run changes nothing, every check refuses what it should, and a real release pushes vX.Y.Z and
// moves vX there. No network, and no tag in this repository.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { changelogEntry, newestOfMajor, parseVersion } from '../scripts/release.mjs';

const ROOT = process.cwd();
const SCRIPT = path.join(ROOT, 'scripts/release.mjs');
const folders: string[] = [];
afterAll(() => folders.forEach((folder) => fs.rmSync(folder, { recursive: true, force: true })));

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function release(cwd: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function addChangelogEntry(work: string, version: string, line = `- Release ${version}.`) {
  const file = path.join(work, 'CHANGELOG.md');
  const text = fs
    .readFileSync(file, 'utf8')
    .replace('## [Unreleased]\n', `## [Unreleased]\n\n## [${version}] - 2026-11-27\n\n### Fixed\n${line}\n`);
  fs.writeFileSync(file, text);
  git(work, 'commit', '-qam', `CHANGELOG: ${version}`);
}

/**
 * A clone on main with no tags, pushed to a bare origin. Its build is a stand-in (dist/index.js is a copy of
 * src/index.ts): the real one takes a minute, and what is tested is the comparison, not the bundler.
 */
function fixture(): { work: string; origin: string } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'release-'));
  folders.push(folder);
  const origin = path.join(folder, 'origin.git');
  const work = path.join(folder, 'work');
  git(folder, 'init', '-q', '--bare', origin);
  git(folder, 'clone', '-q', ROOT, work);
  git(work, 'checkout', '-q', '-B', 'main');
  for (const tag of git(work, 'tag', '--list').split('\n').filter(Boolean)) git(work, 'tag', '-d', tag);
  git(work, 'remote', 'set-url', 'origin', origin);
  for (const [key, value] of Object.entries({ 'user.name': 'Test', 'user.email': 'test@example.com' })) {
    git(work, 'config', key, value);
  }
  git(work, 'config', 'tag.gpgSign', 'false');
  git(work, 'config', 'commit.gpgSign', 'false');
  fs.writeFileSync(
    path.join(work, 'build.mjs'),
    "import fs from 'node:fs';\nfs.mkdirSync('dist', { recursive: true });\nfs.copyFileSync('src/index.ts', 'dist/index.js');\n",
  );
  const pkg = JSON.parse(fs.readFileSync(path.join(work, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  pkg.scripts.build = 'node build.mjs';
  fs.writeFileSync(path.join(work, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  fs.rmSync(path.join(work, 'dist'), { recursive: true });
  execFileSync(process.execPath, ['build.mjs'], { cwd: work });
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'fixture: a stand-in build');
  addChangelogEntry(work, '1.0.0');
  git(work, 'push', '-q', 'origin', 'main');
  return { work, origin };
}

const versionIn = (work: string) =>
  (JSON.parse(fs.readFileSync(path.join(work, 'package.json'), 'utf8')) as { version: string }).version;

describe('release --dry-run', () => {
  it('says what it would do and changes nothing', () => {
    const { work, origin } = fixture();
    const head = git(work, 'rev-parse', 'HEAD');
    const version = versionIn(work);

    const run = release(work, '1.0.0', '--dry-run');

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('dist/ is the bundle of the sources. Releasing v1.0.0:');
    expect(run.stdout.split('\n').filter((line) => line.startsWith('would '))).toEqual([
      'would set version 1.0.0 in package.json and package-lock.json',
      'would commit "Release v1.0.0"',
      'would tag v1.0.0 (annotated)',
      'would point v1 at v1.0.0',
      'would push main and v1.0.0',
      'would push v1 (--force)',
    ]);
    expect(git(work, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(work, 'status', '--porcelain')).toBe('');
    expect(git(work, 'tag', '--list')).toBe('');
    expect(git(origin, 'tag', '--list')).toBe('');
    expect(versionIn(work)).toBe(version);
  });

  it('refuses a dist/ that is not the bundle of the sources, and leaves dist/ as committed', () => {
    const { work } = fixture();
    fs.appendFileSync(path.join(work, 'src/index.ts'), '// an edit without a rebuild\n');
    git(work, 'commit', '-qam', 'edit without rebuilding dist/');
    git(work, 'push', '-q', 'origin', 'main');

    const run = release(work, '1.0.0', '--dry-run');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "release: dist/ is not the bundle of the sources: run 'npm run build' and commit dist/.",
    );
    expect(run.stderr).toContain('M dist/index.js');
    expect(git(work, 'status', '--porcelain')).toBe('');
  });

  it('refuses another branch, a dirty tree, a missing CHANGELOG entry and an old version, before building', () => {
    const { work } = fixture();
    git(work, 'checkout', '-q', '-b', 'topic');
    fs.writeFileSync(path.join(work, 'stray.txt'), 'not committed');

    const run = release(work, '0.0.9', '--dry-run');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('release: releases are made from main, not topic');
    expect(run.stderr).toContain('release: the working tree is not clean:\n?? stray.txt');
    expect(run.stderr).toContain(
      "release: CHANGELOG.md has no entry for 0.0.9: move the [Unreleased] items under '## [0.0.9] - YYYY-MM-DD'",
    );
    expect(run.stderr).toMatch(/release: 0\.0\.9 is older than package.json's \d+\.\d+\.\d+/);
    expect(run.stdout).not.toContain('Rebuilding dist/');
  });
});

describe('release, for real, to a local origin', () => {
  it("pushes vX.Y.Z and moves vX; release.yml's --tag mode moves vX for a tag pushed by hand", () => {
    const { work, origin } = fixture();
    const first = release(work, '1.0.0');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(git(origin, 'log', '-1', '--format=%s', 'main')).toBe('Release v1.0.0');
    expect(JSON.parse(git(origin, 'show', 'main:package.json'))).toMatchObject({ version: '1.0.0' });
    expect(JSON.parse(git(origin, 'show', 'main:package-lock.json'))).toMatchObject({ version: '1.0.0' });
    expect(git(origin, 'cat-file', '-t', 'v1.0.0')).toBe('tag'); // annotated
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(git(origin, 'rev-parse', 'main'));

    addChangelogEntry(work, '1.0.1');
    git(work, 'push', '-q', 'origin', 'main');
    expect(release(work, '1.0.1').code).toBe(0);
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(git(origin, 'rev-parse', 'v1.0.1^{commit}'));
    expect(release(work, '1.0.1', '--dry-run').stderr).toContain('release: v1.0.1 already exists');

    // An older tag checked out: its notes are written, v1 stays on the newest.
    git(work, 'checkout', '-q', 'v1.0.0');
    const notes = path.join(path.dirname(work), 'notes.md');
    const old = release(work, '--tag', 'v1.0.0', '--notes', notes);
    expect(old.code).toBe(0);
    expect(old.stdout).toContain('v1.0.1 is newer than v1.0.0: v1 stays where it is.');
    // 1.0.0's entry took the [Unreleased] items the fixture found, and ends where 1.0.1's begins.
    const written = fs.readFileSync(notes, 'utf8');
    expect(written).toMatch(/^### Fixed\n- Release 1\.0\.0\.\n\n### Added\n/);
    expect(written).not.toContain('## [');

    // A tag pushed without the script: the workflow's run moves v1 to it.
    git(work, 'checkout', '-q', 'main');
    addChangelogEntry(work, '1.0.2');
    const pkg = path.join(work, 'package.json');
    fs.writeFileSync(pkg, fs.readFileSync(pkg, 'utf8').replace('"version": "1.0.1"', '"version": "1.0.2"'));
    git(work, 'commit', '-qam', 'Release v1.0.2 by hand');
    git(work, 'tag', 'v1.0.2');
    git(work, 'push', '-q', 'origin', 'main', 'v1.0.2');
    git(work, 'checkout', '-q', 'v1.0.2');
    const dryRun = release(work, '--tag', 'v1.0.2', '--dry-run');
    expect(dryRun.stdout).toContain('would point v1 at v1.0.2');
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(git(origin, 'rev-parse', 'v1.0.1^{commit}'));
    const moved = release(work, '--tag', 'v1.0.2');
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(git(origin, 'rev-parse', 'v1.0.2^{commit}'));
  });
});

describe('release decisions', () => {
  it('reads a version, a CHANGELOG entry and the newest release of a major', () => {
    expect(parseVersion('v1.2.3')).toEqual([1, 2, 3]);
    expect(parseVersion('1.2')).toBeNull();
    expect(parseVersion('1.2.3-rc.1')).toBeNull();
    const changelog =
      '# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-12-01\n\n- B\n\n## [1.0.0]\n\n- A\n\n## [0.9.0]\n';
    expect(changelogEntry(changelog, '1.1.0')).toBe('- B');
    expect(changelogEntry(changelog, '1.0.0')).toBe('- A');
    expect(changelogEntry(changelog, '0.9.0')).toBeNull(); // empty
    expect(changelogEntry(changelog, '1.0')).toBeNull();
    expect(newestOfMajor(['v1', 'v1.9.0', 'v1.10.0', 'v2.0.0', 'v1.2.3'], [1, 0, 0])).toBe('v1.10.0');
    expect(newestOfMajor(['v1.9.0'], [2, 0, 0])).toBeNull();
  });
});
