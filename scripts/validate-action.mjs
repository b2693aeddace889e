// Validates action.yml with @action-validator/cli (the maintained schema validator on npm). Its schema
// (0.6.0) predates `runs.using: node24` and rejects it, so a copy with node20 in its place is validated;
// __tests__/action-metadata.test.ts checks that the real file says node24.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const original = fs.readFileSync('action.yml', 'utf8');
if (!/^ {2}using: node24$/m.test(original)) throw new Error('action.yml must use runs.using: node24');
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'action-validate-'));
const copy = path.join(folder, 'action.yml'); // the validator picks the schema by file name
fs.writeFileSync(copy, original.replace(/^( {2}using:) node24$/m, '$1 node20'));
try {
  execFileSync(path.resolve('node_modules/.bin/action-validator'), [copy], { stdio: 'inherit' });
  console.log('action.yml is valid.');
} finally {
  fs.rmSync(folder, { recursive: true, force: true });
}
