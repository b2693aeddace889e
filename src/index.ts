import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLean } from './engine.js';
import { hashInChildrenOf } from './hashers.js';
import { run } from './main.js';

startLean();
// The hashing children's own bundle, beside this one (package.json's build).
hashInChildrenOf(path.join(path.dirname(fileURLToPath(import.meta.url)), 'hasher', 'index.js'));
void run();
