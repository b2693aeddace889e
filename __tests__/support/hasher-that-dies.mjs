// Stands in for the bundle in hashers.test.ts: a hashing child that ends before it answers anything.
process.exit(3);
