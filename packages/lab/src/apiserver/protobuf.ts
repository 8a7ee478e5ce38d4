import type { KubeObject } from '../core.js';
import { ApiError } from './status.js';

/**
 * Just enough of Kubernetes' protobuf encoding to accept what `kubectl create namespace|configmap|
 * secret|serviceaccount` sends: kubectl's typed generators speak protobuf and do not fall back to JSON.
 * Other protobuf bodies get a 415 that says to use manifests (`kubectl apply -f`), which go as JSON.
 */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Field = { n: number; wire: number; v: bigint | Buffer };

function* fields(buf: Buffer): Generator<Field> {
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      r |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return r;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const n = key >> 3;
    const wire = key & 7;
    if (wire === 0) yield { n, wire, v: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      yield { n, wire, v: buf.subarray(i, i + len) };
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const str = (f: Field): string => (f.v as Buffer).toString('utf8');

function map(entries: Field[], asBytes: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    let k = '';
    let v = '';
    for (const f of fields(e.v as Buffer)) {
      if (f.n === 1) k = str(f);
      if (f.n === 2) v = asBytes ? (f.v as Buffer).toString('base64') : str(f);
    }
    out[k] = v;
  }
  return out;
}

function objectMeta(buf: Buffer): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const labels: Field[] = [];
  const annotations: Field[] = [];
  for (const f of fields(buf)) {
    if (f.n === 1) meta.name = str(f);
    else if (f.n === 2) meta.generateName = str(f);
    else if (f.n === 3) meta.namespace = str(f);
    else if (f.n === 11) labels.push(f);
    else if (f.n === 12) annotations.push(f);
  }
  if (labels.length) meta.labels = map(labels, false);
  if (annotations.length) meta.annotations = map(annotations, false);
  return meta;
}

export function decodeProtobuf(body: Buffer): KubeObject {
  if (!body.subarray(0, 4).equals(MAGIC))
    throw new ApiError(400, 'BadRequest', 'protobuf body without the k8s envelope');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.n === 1) {
      for (const t of fields(f.v as Buffer)) {
        if (t.n === 1) apiVersion = str(t);
        if (t.n === 2) kind = str(t);
      }
    }
    if (f.n === 2) raw = f.v as Buffer;
  }
  const all = [...fields(raw)];
  const one = (n: number): Field | undefined => all.find((f) => f.n === n);
  const many = (n: number): Field[] => all.filter((f) => f.n === n);
  const metadata = one(1) ? objectMeta(one(1)!.v as Buffer) : {};
  const obj: KubeObject = { apiVersion, kind, metadata };
  switch (`${apiVersion}/${kind}`) {
    case 'v1/Namespace':
      return obj;
    case 'v1/ConfigMap':
      if (many(2).length) obj.data = map(many(2), false);
      if (many(3).length) obj.binaryData = map(many(3), true);
      return obj;
    case 'v1/Secret':
      if (many(2).length) obj.data = map(many(2), true);
      if (one(3)) obj.type = str(one(3)!);
      if (many(4).length) obj.stringData = map(many(4), false);
      return obj;
    case 'v1/ServiceAccount':
      return obj;
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the kdrill lab accepts protobuf only for Namespace, ConfigMap, Secret and ServiceAccount (got ${kind}); send JSON, e.g. \`kubectl apply -f manifest.yaml\``,
      );
  }
}
