// Stands in for the bundle in hashers.test.ts: a hashing child that takes its batch and never answers, as one
// waiting for a debugger does (a step's NODE_OPTIONS=--inspect-brk=0 holds every Node.js it starts) or one
// stopped (SIGSTOP, a frozen cgroup). It ends with its parent.
process.on('message', () => undefined);
