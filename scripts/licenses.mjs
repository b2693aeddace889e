// Writes dist/licenses.txt: the license of every production dependency bundled into dist/. ncc's own
// --license option keeps only the last chunk's list when the bundle is split (the CloudFront half is a lazy
// chunk), so the list comes from the installed production dependency tree instead.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const tree = JSON.parse(
  execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long'], { encoding: 'utf8', maxBuffer: 1 << 26 }),
);
const packages = new Map();
(function collect(dependencies = {}) {
  for (const [name, info] of Object.entries(dependencies)) {
    if (!info.path || packages.has(name)) continue;
    packages.set(name, info);
    collect(info.dependencies);
  }
})(tree.dependencies);

const sections = [...packages.keys()].sort().map((name) => {
  const { path: folder, license } = packages.get(name);
  const file = fs.readdirSync(folder).find((entry) => /^(licen[sc]e|copying)(\.|$)/i.test(entry));
  const text = file
    ? fs.readFileSync(path.join(folder, file), 'utf8').trim()
    : `(no license file; package.json says ${license ?? 'nothing'})`;
  return `${name}\n${license ?? ''}\n${text}`;
});
fs.writeFileSync('dist/licenses.txt', `${sections.join('\n\n')}\n`);
console.log(`dist/licenses.txt: ${sections.length} packages`);
