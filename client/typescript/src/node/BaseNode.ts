import { z, type ZodObject } from 'zod';

import { describeIssues, isZodError } from '../internal/zod_inspect.js';

/**
 * A node's inputs, secrets or outputs did not match its zod schema. The runtime reports the state
 * errored with this message (the graph's retry policy applies).
 */
export class NodeValidationError extends Error {
  constructor(
    message: string,
    public readonly issues: { path: (string | number)[]; message: string }[],
  ) {
    super(message);
    this.name = 'NodeValidationError';
  }
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Base class of every node, as in the SDK: static `name` and zod `Inputs`, `Outputs` and `Secrets`
 * (string fields only), and `execute()` reading `this.inputs` and `this.secrets`. It returns one
 * output object, an array of them (a fan-out; empty: no outputs) or `null` (one empty output).
 */
export abstract class BaseNode<
  I extends ZodObject<any> = ZodObject<any>,
  O extends ZodObject<any> = ZodObject<any>,
  S extends ZodObject<any> = ZodObject<any>,
> {
  static Inputs: ZodObject<any> = z.object({});
  static Outputs: ZodObject<any> = z.object({});
  static Secrets: ZodObject<any> = z.object({});
  /**
   * Optional execution deadline in milliseconds (0 or unset: the sidecar's default). When it
   * passes, the sidecar cancels the task and reports the state errored.
   */
  static deadlineMs?: number;

  protected inputs!: z.infer<I>;
  protected secrets!: z.infer<S>;
  /**
   * Aborted when the sidecar cancels the task (its deadline or the sidecar's drain timeout passed)
   * or the stream to the sidecar ends; its result is discarded then. Long nodes may watch it.
   */
  protected abortSignal: AbortSignal = NEVER_ABORTED;

  constructor() {
    if (this.constructor === BaseNode) {
      throw new Error('BaseNode is an abstract class and cannot be instantiated directly');
    }
  }

  /**
   * Validates the raw inputs and secrets, runs `execute()` and validates what it returned.
   * Returns the parsed output(s), or `{}` (one empty output, as in the SDK) when `execute()`
   * returned `null`.
   */
  async _execute(inputsRaw: unknown, secretsRaw: unknown): Promise<z.infer<O> | z.infer<O>[]> {
    const ctor = this.constructor as typeof BaseNode;
    const nodeName = ctor.name;
    this.inputs = parseOrExplain(ctor.Inputs, inputsRaw, `${nodeName}: invalid Inputs`) as z.infer<I>;
    this.secrets = parseOrExplain(ctor.Secrets, secretsRaw, `${nodeName}: invalid Secrets`) as z.infer<S>;
    const result = (await this.execute()) as unknown;
    if (Array.isArray(result)) {
      return result.map((item, index) =>
        parseOrExplain(ctor.Outputs, item, `${nodeName}: invalid Outputs[${index}]`),
      ) as z.infer<O>[];
    }
    if (result === null) return {} as z.infer<O>;
    return parseOrExplain(ctor.Outputs, result, `${nodeName}: invalid Outputs`) as z.infer<O>;
  }

  /** Sets the signal `execute()` may watch; called by the runtime before `_execute`. */
  _setAbortSignal(signal: AbortSignal): void {
    this.abortSignal = signal;
  }

  /**
   * `void` is accepted by the type so that a node that only throws (the SDK README's RobustNode)
   * compiles; returning nothing at run time fails the Outputs validation, as in the SDK.
   */
  abstract execute(): Promise<z.infer<O> | z.infer<O>[] | null | void>;
}

function parseOrExplain(schema: ZodObject<any>, value: unknown, what: string): unknown {
  try {
    return schema.parse(value);
  } catch (error) {
    if (isZodError(error)) {
      throw new NodeValidationError(`${what}: ${describeIssues(error.issues)}`, error.issues);
    }
    throw error;
  }
}
