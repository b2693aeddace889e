// A self-signed certificate for loopback, made at start with node:crypto alone: an ECDSA P-256 key and an
// X.509 v3 certificate written by the small DER writer below, for 127.0.0.1 and localhost, valid for two
// days. Clients trust it through its PEM file: NODE_EXTRA_CA_CERTS (Node, so the action), AWS_CA_BUNDLE
// (the AWS CLI and the JS SDK), rclone's --ca-cert. No openssl binary and no npm package: the local S3
// and its proxy serve HTTPS wherever Node runs.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** @typedef {{ key: string, cert: string, certFile: string }} LoopbackCertificate */

/** @type {LoopbackCertificate | undefined} */
let made;

/**
 * The process's loopback certificate (made on first use, then kept): PEM key and certificate, and the
 * certificate's file for clients to trust.
 * @returns {LoopbackCertificate}
 */
export function loopbackCertificate() {
  if (made) return made;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // version 3
    integer(Buffer.concat([Buffer.from([1]), randomBytes(15)])), // positive serial
    sequence(oid(ECDSA_WITH_SHA256)),
    NAME,
    sequence(utcTime(new Date(now - 60 * 60 * 1000)), utcTime(new Date(now + 2 * 24 * 60 * 60 * 1000))),
    NAME,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        extension(BASIC_CONSTRAINTS, true, sequence(boolean(true))),
        // digitalSignature (bit 0) and keyCertSign (bit 5): a TLS server key that is also its own root.
        extension(KEY_USAGE, true, tlv(0x03, Buffer.from([2, 0b1000_0100]))),
        extension(
          SUBJECT_ALT_NAME,
          false,
          sequence(tlv(0x82, Buffer.from('localhost')), tlv(0x87, Buffer.from([127, 0, 0, 1]))),
        ),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, sequence(oid(ECDSA_WITH_SHA256)), tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'local-tls-'));
  const certFile = path.join(folder, 'loopback-ca.pem');
  fs.writeFileSync(certFile, cert);
  made = { key: String(key), cert, certFile };
  return made;
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';
const SUBJECT_ALT_NAME = '2.5.29.17';
const NAME = sequence(set(sequence(oid(COMMON_NAME), tlv(0x0c, Buffer.from('local S3 loopback')))));

// DER: tag, length, contents; only the few types a certificate needs.

function tlv(tag, contents) {
  const length = contents.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), contents]);
  const bytes = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), contents]);
}

function sequence(...items) {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items) {
  return tlv(0x31, Buffer.concat(items));
}

function explicit(number, contents) {
  return tlv(0xa0 + number, contents);
}

/** A non-negative INTEGER from its big-endian bytes. */
function integer(bytes) {
  return tlv(0x02, bytes[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function boolean(value) {
  return tlv(0x01, Buffer.from([value ? 0xff : 0]));
}

function oid(dotted) {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) groups.unshift(0x80 | (value & 0x7f));
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date) {
  const iso = date.toISOString(); // 2026-11-27T15:04:05.678Z -> 261127150405Z
  return tlv(
    0x17,
    Buffer.from(
      `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`,
    ),
  );
}

function extension(id, critical, value) {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), tlv(0x04, value));
}
