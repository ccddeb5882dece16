/**
 * The shapes of the protocol messages as @grpc/proto-loader hands them over (keepCase, enums as
 * strings, 64-bit integers as numbers, defaults filled in, `kind` naming the set oneof member).
 * Only the fields this package reads or writes are listed.
 */
/** google.protobuf.Value: protobufjs's bundled struct.proto has camelCase field names. */
export interface StructValue {
  nullValue?: 'NULL_VALUE';
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: Struct;
  listValue?: { values: StructValue[] };
}

export interface Struct {
  fields: Record<string, StructValue>;
}

export interface NodeDefinitionMessage {
  name: string;
  input_fields: string[];
  output_fields: string[];
  secret_fields: string[];
  inputs_schema_json: string;
  outputs_schema_json: string;
  deadline_ms: number;
}

export interface HelloMessage {
  namespace: string;
  runtime_name: string;
  nodes: NodeDefinitionMessage[];
  slots: number;
  worker_label: string;
  /** Set: the sidecar may send several tasks in one TaskBatch (see session.ts). */
  accepts_task_batches: boolean;
}

export type Outcome =
  | { executed: { outputs: { fields: Record<string, string> }[] } }
  | { errored: { message: string } }
  | { prune: { data: Struct } }
  | { requeue_after: { delay_ms: number } };

export type TaskResultMessage = { state_id: string } & Outcome;

export type WorkerMessage =
  | { hello: HelloMessage }
  | { result: TaskResultMessage }
  | { set_slots: { slots: number } };

export interface WelcomeMessage {
  worker_id: string;
  namespace: string;
  sidecar_version: string;
  max_message_bytes: number;
}

export interface RegistrationMessage {
  registered: boolean;
  error: string;
  retry_in_ms: number;
}

export interface TaskMessage {
  state_id: string;
  node_name: string;
  identifier: string;
  inputs: Record<string, string>;
  secrets: Record<string, string>;
  deadline_ms: number;
  claimed_at_unix_micros: number;
}

/** Tasks in dispatch order; each is handled exactly as if it had come in its own Task. */
export interface TaskBatchMessage {
  tasks: TaskMessage[];
}

export interface CancelTaskMessage {
  state_id: string;
  reason: string;
  message: string;
}

export interface ResultRejectedMessage {
  state_id: string;
  reason: string;
  message: string;
}

export interface SidecarMessage {
  kind?: 'welcome' | 'registration' | 'task' | 'cancel' | 'result_rejected' | 'drain' | 'task_batch';
  welcome?: WelcomeMessage | null;
  registration?: RegistrationMessage | null;
  task?: TaskMessage | null;
  cancel?: CancelTaskMessage | null;
  result_rejected?: ResultRejectedMessage | null;
  drain?: { deadline_ms: number } | null;
  task_batch?: TaskBatchMessage | null;
}
