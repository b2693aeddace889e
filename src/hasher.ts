// The entry of a hashing child process, bundled on its own (dist/hasher/index.js) so that it loads no more
// than hashing needs: see hashers.ts.
import { serveHashing } from './hashers.js';

serveHashing();
