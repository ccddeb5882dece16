/**
 * Loads the sidecar's public protocol (proto/exosphere/sidecar/v1/*.proto) with
 * @grpc/proto-loader and makes gRPC clients for it. The .proto files are copied into the package
 * (dist/proto) at build time; inside the repository the originals are found as a fallback.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO_FILES = ['exosphere/sidecar/v1/node_host.proto', 'exosphere/sidecar/v1/graphs.proto'];

// dist/lib/internal/proto.js -> dist/proto (packaged copy) or <repository>/proto.
const PROTO_ROOTS = [
  fileURLToPath(new URL('../../proto', import.meta.url)),
  fileURLToPath(new URL('../../../../../proto', import.meta.url)),
];

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export function protoRoot(): string {
  for (const root of PROTO_ROOTS) {
    if (existsSync(`${root}/${PROTO_FILES[0]}`)) return root;
  }
  throw new Error(
    `The sidecar's .proto files are missing (looked in ${PROTO_ROOTS.join(' and ')}); ` +
      'rebuild the package with "npm run build"',
  );
}

interface Loaded {
  definition: protoLoader.PackageDefinition;
  nodeHost: grpc.ServiceClientConstructor;
  graphs: grpc.ServiceClientConstructor;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const v1 = (grpc.loadPackageDefinition(definition) as any).exosphere.sidecar.v1;
  loaded = { definition, nodeHost: v1.NodeHost, graphs: v1.Graphs };
  return loaded;
}

/** Channel options: quick reconnection to a restarted sidecar, no receive limit. */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.use_local_subchannel_pool': 1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.max_receive_message_length': -1,
};

export function newNodeHostClient(address: string): grpc.Client {
  return new (load().nodeHost)(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

export function newGraphsClient(address: string): grpc.Client {
  return new (load().graphs)(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

/** The encoded size of a WorkerMessage, to compare with the sidecar's limit. */
export function workerMessageSize(message: object): number {
  const method = (load().definition['exosphere.sidecar.v1.NodeHost'] as grpc.ServiceDefinition)
    .Connect;
  return method!.requestSerialize(message).length;
}

export const WORKER_TOKEN_METADATA = 'x-exosphere-worker-token';
export const DEFAULT_SIDECAR_ADDRESS = 'unix:/tmp/exosphere-sidecar.sock';

/** The option, else EXOSPHERE_SIDECAR_ADDRESS, else the sidecar's default socket. */
export function resolveSidecarAddress(configured: string | undefined): string {
  let address = configured || process.env.EXOSPHERE_SIDECAR_ADDRESS || DEFAULT_SIDECAR_ADDRESS;
  if (address.startsWith('/')) address = `unix:${address}`;
  return address;
}

/** The option, else EXOSPHERE_WORKER_TOKEN, else none. */
export function resolveWorkerToken(configured: string | undefined): string {
  return configured || process.env.EXOSPHERE_WORKER_TOKEN || '';
}

export function callMetadata(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token) metadata.set(WORKER_TOKEN_METADATA, token);
  return metadata;
}

export function statusName(code: number): string {
  return grpc.status[code] ?? `code ${code}`;
}
