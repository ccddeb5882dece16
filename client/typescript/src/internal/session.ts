/**
 * One NodeHost.Connect stream: sends the Hello, hands tasks to the runtime, sends exactly one
 * result per task that is still in flight, honours CancelTask and Drain, and closes the stream
 * (half-close) once it is closing and nothing is in flight.
 */
import * as grpc from '@grpc/grpc-js';

import { logger } from '../logger.js';
import type {
  CancelTaskMessage,
  HelloMessage,
  RegistrationMessage,
  SidecarMessage,
  TaskMessage,
  TaskResultMessage,
  WelcomeMessage,
  WorkerMessage,
} from './messages.js';
import { callMetadata, statusName, workerMessageSize } from './proto.js';

export interface SessionListener {
  onWelcome(welcome: WelcomeMessage): void;
  onRegistration(registration: RegistrationMessage): void;
  onTask(session: WorkerSession, task: TaskMessage, signal: AbortSignal): void;
}

export interface SessionOutcome {
  /** The sidecar accepted the Hello. */
  welcomed: boolean;
  code: grpc.status;
  details: string;
}

const LOG = 'Runtime';

export class WorkerSession {
  private call: grpc.ClientDuplexStream<WorkerMessage, SidecarMessage> | undefined;
  private welcomed = false;
  private closing = false;
  private halfClosed = false;
  private ended = false;
  private maxMessageBytes = 0;
  private protocolError: string | undefined;
  private readonly inFlight = new Map<string, AbortController>();
  private readonly closedWaiters: (() => void)[] = [];

  constructor(
    private readonly client: grpc.Client,
    private readonly hello: HelloMessage,
    private readonly token: string,
    private readonly listener: SessionListener,
  ) {}

  /** Runs the stream to its end. */
  run(): Promise<SessionOutcome> {
    const connect = (this.client as unknown as {
      Connect(metadata: grpc.Metadata): grpc.ClientDuplexStream<WorkerMessage, SidecarMessage>;
    }).Connect;
    const call = connect.call(this.client, callMetadata(this.token));
    this.call = call;
    return new Promise((resolve) => {
      call.on('data', (message: SidecarMessage) => this.handle(message));
      // The 'status' event carries the outcome; without this listener an error status would be
      // an unhandled 'error' event.
      call.on('error', () => undefined);
      call.on('status', (status: grpc.StatusObject) => {
        // Lets messages still buffered in the stream be handled first.
        setImmediate(() => {
          this.endStream();
          if (this.protocolError !== undefined) {
            resolve({ welcomed: this.welcomed, code: grpc.status.INTERNAL, details: this.protocolError });
          } else {
            resolve({ welcomed: this.welcomed, code: status.code, details: status.details });
          }
        });
      });
      this.write({ hello: this.hello });
    });
  }

  /** Tasks currently running on this stream. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Sends a task's result, unless the task was cancelled or the stream ended (the sidecar expects
   * nothing then).
   */
  sendResult(result: TaskResultMessage): void {
    if (!this.inFlight.delete(result.state_id)) {
      logger.debug(LOG, `Dropped the result for state ${result.state_id}: the task was cancelled or its stream ended`);
      return;
    }
    let message: WorkerMessage = { result };
    if (this.maxMessageBytes > 0 && roughSize(result) * 2 + 1024 > this.maxMessageBytes) {
      const size = workerMessageSize(message);
      if (size > this.maxMessageBytes) {
        // The sidecar would end the whole stream on an oversized message; an errored result keeps
        // the stream and lets the graph's retry policy apply.
        message = {
          result: {
            state_id: result.state_id,
            errored: {
              message: `The result is ${size} bytes, more than the sidecar's limit of ${this.maxMessageBytes} bytes`,
            },
          },
        };
      }
    }
    if (!this.write(message)) {
      logger.debug(LOG, `Could not send the result for state ${result.state_id}: the stream ended`);
    }
    this.halfCloseIfIdle();
  }

  /**
   * Stops taking tasks: pauses the worker (SetSlots 0) and closes the stream once the tasks in
   * flight have sent their results. Before the Welcome the stream is cancelled at once.
   */
  close(): void {
    if (this.ended) return;
    this.closing = true;
    if (!this.welcomed) {
      this.call?.cancel();
      return;
    }
    if (!this.halfClosed) this.write({ set_slots: { slots: 0 } });
    this.halfCloseIfIdle();
  }

  /** Cancels the stream; tasks in flight are handed to another worker by the sidecar. */
  abort(): void {
    this.call?.cancel();
  }

  /** Resolves once the stream is half-closed or ended. */
  whenClosed(): Promise<void> {
    if (this.halfClosed || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  private handle(message: SidecarMessage): void {
    if (this.ended || this.protocolError !== undefined) return;
    if (!this.welcomed) {
      if (message.kind !== 'welcome' || !message.welcome) {
        this.protocolError = `the sidecar sent a ${message.kind ?? 'message of an unknown kind'} before its Welcome`;
        this.call?.cancel();
        return;
      }
      this.welcomed = true;
      this.maxMessageBytes = message.welcome.max_message_bytes;
      this.listener.onWelcome(message.welcome);
      if (this.closing) this.close();
      return;
    }
    switch (message.kind) {
      case 'registration':
        if (message.registration) this.listener.onRegistration(message.registration);
        break;
      case 'task':
        if (message.task) this.handleTask(message.task);
        break;
      case 'task_batch':
        // Sent because the Hello set accepts_task_batches: each task of the batch, in order, is
        // handled exactly as if it had come in its own Task message.
        for (const task of message.task_batch?.tasks ?? []) this.handleTask(task);
        break;
      case 'cancel':
        if (message.cancel) this.handleCancel(message.cancel);
        break;
      case 'result_rejected':
        if (message.result_rejected) {
          const rejected = message.result_rejected;
          logger.warn(
            LOG,
            `The sidecar rejected the result for state ${rejected.state_id} (${rejected.reason}): ${rejected.message}`,
          );
        }
        break;
      case 'drain':
        this.closing = true;
        logger.info(
          LOG,
          `The sidecar is draining: finishing ${this.inFlight.size} task(s) in flight within ` +
            `${message.drain?.deadline_ms ?? 0} ms, then reconnecting`,
        );
        this.halfCloseIfIdle();
        break;
      case 'welcome':
        logger.warn(LOG, 'The sidecar sent a second Welcome; ignored');
        break;
      default:
        // A message kind of a newer protocol revision.
        logger.debug(LOG, 'Ignored a sidecar message of an unknown kind');
    }
  }

  private handleTask(task: TaskMessage): void {
    if (this.halfClosed) {
      // No result can be sent after the half-close; the sidecar re-dispatches the task.
      logger.debug(LOG, `Ignored task ${task.state_id} received after closing`);
      return;
    }
    if (this.inFlight.has(task.state_id)) {
      logger.warn(LOG, `The sidecar sent task ${task.state_id} while it is already running here; ignored the repeat`);
      return;
    }
    const controller = new AbortController();
    this.inFlight.set(task.state_id, controller);
    this.listener.onTask(this, task, controller.signal);
  }

  private handleCancel(cancel: CancelTaskMessage): void {
    const controller = this.inFlight.get(cancel.state_id);
    if (!controller) return; // already answered; the sidecar discards that result
    this.inFlight.delete(cancel.state_id);
    const reason = cancel.message || cancelReasonText(cancel.reason);
    controller.abort(new Error(reason));
    logger.info(LOG, `The sidecar cancelled task ${cancel.state_id}: ${reason}`);
    this.halfCloseIfIdle();
  }

  private write(message: WorkerMessage): boolean {
    if (this.ended || this.halfClosed || !this.call) return false;
    this.call.write(message);
    return true;
  }

  private halfCloseIfIdle(): void {
    if (!this.closing || !this.welcomed || this.halfClosed || this.ended || this.inFlight.size > 0) {
      return;
    }
    this.halfClosed = true;
    this.call?.end();
    this.notifyClosed();
  }

  private endStream(): void {
    this.ended = true;
    if (this.inFlight.size > 0) {
      logger.warn(
        LOG,
        `The stream to the sidecar ended with ${this.inFlight.size} task(s) in flight; they are ` +
          'cancelled and the sidecar gives them to another worker',
      );
    }
    for (const controller of this.inFlight.values()) {
      controller.abort(new Error('the stream to the sidecar ended'));
    }
    this.inFlight.clear();
    this.notifyClosed();
  }

  private notifyClosed(): void {
    for (const waiter of this.closedWaiters.splice(0)) waiter();
  }
}

function cancelReasonText(reason: string): string {
  switch (reason) {
    case 'DEADLINE_EXCEEDED':
      return 'deadline exceeded';
    case 'DRAIN_TIMEOUT':
      return 'drain timeout';
    default:
      return 'cancelled by the sidecar';
  }
}

function roughSize(result: TaskResultMessage): number {
  return Buffer.byteLength(JSON.stringify(result));
}

export function describeOutcome(outcome: SessionOutcome): string {
  return outcome.code === grpc.status.OK ? 'OK' : `${statusName(outcome.code)}: ${outcome.details}`;
}
