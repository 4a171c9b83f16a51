// Object-store access as `leakwatch simulate --family s3|cloudtrail` writes it: one StorageLine
// per request, rendered as an Amazon S3 server access log line (`--format s3`) or as a CloudTrail
// S3 data event, one JSON object per line (`--format cloudtrail`). The same lines give both
// families, so a scenario is written once.
//
// Who asked: `requester` is the IAM principal ARN (null: anonymous, requester `-` in the S3 log,
// `ANONYMOUS_PRINCIPAL` in CloudTrail); a presigned URL is signed by an IAM user, so its requester
// is the signer and its request-URI carries `X-Amz-Credential=<key id>/…` (auth type QueryString).

import { createHash } from 'node:crypto';
import { formatTimeLocal } from './format.js';

export const STORAGE_ACCOUNT = '111122223333';
const OWNER_ID = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';
const REGION = 'us-east-1';

export type StorageOp = 'get' | 'put' | 'list' | 'head';

export interface StorageLine {
  /** Event time, epoch ms (whole seconds when rendered to the S3 log). */
  ts: number;
  ip: string;
  /** IAM principal ARN; null = anonymous. */
  requester: string | null;
  /** Access key id (AKIA…/ASIA…) of an authenticated or presigned request. */
  accessKeyId: string | null;
  presigned: boolean;
  op: StorageOp;
  bucket: string;
  /** Object key (unencoded); for `list`, null. */
  key: string | null;
  /** `list`: the prefix listed. */
  prefix?: string;
  status: number;
  bytes: number;
  ua: string;
}

/** Storage families `simulate --family` writes, and the `--format` that reads each. */
export const STORAGE_FAMILIES = ['s3', 'cloudtrail'] as const;
export type StorageFamily = (typeof STORAGE_FAMILIES)[number];

function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

function digestHex(text: string, n: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, n);
}

const S3_OPS: Record<StorageOp, string> = {
  get: 'REST.GET.OBJECT',
  put: 'REST.PUT.OBJECT',
  head: 'REST.HEAD.OBJECT',
  list: 'REST.GET.BUCKET',
};
const CT_EVENTS: Record<StorageOp, string> = {
  get: 'GetObject',
  put: 'PutObject',
  head: 'HeadObject',
  list: 'ListObjects',
};
const METHODS: Record<StorageOp, string> = { get: 'GET', put: 'PUT', head: 'GET', list: 'GET' };

function errorCode(status: number): string | null {
  if (status === 403) return 'AccessDenied';
  if (status === 404) return 'NoSuchKey';
  return null;
}

function presignQuery(l: StorageLine): string {
  const date = new Date(l.ts).toISOString().slice(0, 10).replaceAll('-', '');
  const cred = `${l.accessKeyId}%2F${date}%2F${REGION}%2Fs3%2Faws4_request`;
  return (
    `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${cred}&X-Amz-Date=${date}T000000Z` +
    `&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${digestHex(`${l.ts}${l.key}`, 64)}`
  );
}

/** Request target as the client sent it (path-style). */
function requestTarget(l: StorageLine): string {
  if (l.op === 'list') {
    const p = l.prefix !== undefined ? `&prefix=${encodeURIComponent(l.prefix)}` : '';
    return `/${l.bucket}?list-type=2${p}`;
  }
  const base = `/${l.bucket}/${encodeKey(l.key ?? '')}`;
  return l.presigned ? `${base}?${presignQuery(l)}` : base;
}

/** One S3 server access log line (all fields through TLS version). */
export function renderS3Line(l: StorageLine): string {
  const id = digestHex(`${l.ts}:${l.ip}:${l.key ?? l.prefix ?? ''}:${l.op}`, 16).toUpperCase();
  const err = errorCode(l.status) ?? '-';
  const key = l.op === 'list' || l.key === null ? '-' : encodeKey(l.key);
  const sent = l.op === 'put' || l.bytes === 0 ? '-' : String(l.bytes);
  const size = l.op === 'get' && l.status === 200 ? String(l.bytes) : '-';
  const auth = l.requester === null ? '-' : l.presigned ? 'QueryString' : 'AuthHeader';
  const sig = l.requester === null ? '-' : 'SigV4';
  const cipher = 'TLS_AES_128_GCM_SHA256';
  return (
    `${OWNER_ID} ${l.bucket} [${formatTimeLocal(l.ts)}] ${l.ip} ${l.requester ?? '-'} ${id} ${S3_OPS[l.op]} ${key} ` +
    `"${METHODS[l.op]} ${requestTarget(l)} HTTP/1.1" ${l.status} ${err} ${sent} ${size} ${12 + (l.bytes % 90)} - ` +
    `"-" "${l.ua}" - ${digestHex(id, 24)}= ${sig} ${cipher} ${auth} ${l.bucket}.s3.${REGION}.amazonaws.com TLSv1.3`
  );
}

/** One CloudTrail S3 data event as a JSON line. */
export function renderCloudTrailLine(l: StorageLine): string {
  const eventId = digestHex(`ct:${l.ts}:${l.ip}:${l.key ?? l.prefix ?? ''}:${l.op}`, 32);
  const uuid = `${eventId.slice(0, 8)}-${eventId.slice(8, 12)}-${eventId.slice(12, 16)}-${eventId.slice(16, 20)}-${eventId.slice(20, 32)}`;
  let userIdentity: Record<string, unknown>;
  if (l.requester === null) {
    userIdentity = { type: 'AWSAccount', principalId: '', accountId: 'ANONYMOUS_PRINCIPAL' };
  } else if (l.requester.includes(':assumed-role/')) {
    const role = l.requester.split('/')[1];
    userIdentity = {
      type: 'AssumedRole',
      principalId: `AROA${digestHex(l.requester, 17).toUpperCase()}:${l.requester.split('/')[2]}`,
      arn: l.requester,
      accountId: STORAGE_ACCOUNT,
      accessKeyId: l.accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::${STORAGE_ACCOUNT}:role/${role}`,
          accountId: STORAGE_ACCOUNT,
          userName: role,
        },
        attributes: { creationDate: new Date(l.ts - 600_000).toISOString(), mfaAuthenticated: 'false' },
      },
    };
  } else {
    userIdentity = {
      type: 'IAMUser',
      principalId: `AIDA${digestHex(l.requester, 17).toUpperCase()}`,
      arn: l.requester,
      accountId: STORAGE_ACCOUNT,
      accessKeyId: l.accessKeyId,
      userName: l.requester.split('/').pop(),
    };
  }
  const host = `${l.bucket}.s3.${REGION}.amazonaws.com`;
  const requestParameters: Record<string, unknown> =
    l.op === 'list'
      ? {
          bucketName: l.bucket,
          Host: host,
          'list-type': '2',
          ...(l.prefix !== undefined ? { prefix: l.prefix } : {}),
        }
      : { bucketName: l.bucket, Host: host, key: l.key };
  const ev: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity,
    eventTime: new Date(Math.floor(l.ts / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    eventSource: 's3.amazonaws.com',
    eventName: CT_EVENTS[l.op],
    awsRegion: REGION,
    sourceIPAddress: l.ip,
    userAgent: `[${l.ua}]`,
    requestParameters,
    responseElements: null,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: l.op === 'put' ? l.bytes : 0,
      AuthenticationMethod: l.requester === null ? undefined : l.presigned ? 'QueryString' : 'AuthHeader',
      'x-amz-id-2': `${digestHex(eventId, 24)}=`,
      bytesTransferredOut: l.op === 'put' ? 0 : l.bytes,
    },
    requestID: eventId.slice(0, 16).toUpperCase(),
    eventID: uuid,
    readOnly: l.op !== 'put',
    resources: [
      { type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${l.bucket}` },
      ...(l.key !== null ? [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${l.bucket}/${l.key}` }] : []),
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: STORAGE_ACCOUNT,
    eventCategory: 'Data',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: host,
    },
  };
  const err = errorCode(l.status);
  if (err !== null) {
    ev['errorCode'] = err;
    ev['errorMessage'] = err === 'AccessDenied' ? 'Access Denied' : 'The specified key does not exist.';
  }
  return JSON.stringify(ev);
}

export function renderStorageLine(l: StorageLine, family: StorageFamily): string {
  return family === 's3' ? renderS3Line(l) : renderCloudTrailLine(l);
}

/** A storage line with the defaults most generated lines share. */
export function storageLine(
  p: Partial<StorageLine> & Pick<StorageLine, 'ts' | 'ip' | 'op' | 'bucket' | 'status' | 'bytes' | 'ua'>,
): StorageLine {
  return { requester: null, accessKeyId: null, presigned: false, key: null, ...p };
}
