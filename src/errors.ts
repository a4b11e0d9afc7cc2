/** Errors that callers branch on. Everything else uses built-in classes. */

/** A Kafka failure; `retriable` says whether trying again may succeed. */
export class BrokerError extends Error {
  /** Whether the operation may succeed if retried. */
  readonly retriable: boolean;
  /** Creates a broker error; always pass the library error as `cause`. */
  constructor(
    message: string,
    options: ErrorOptions & { retriable: boolean },
  ) {
    super(message, options);
    this.name = "BrokerError";
    this.retriable = options.retriable;
  }
}

/** Data in the warehouse or checkpoint that cannot be trusted. */
export class DataLossError extends Error {
  /** Creates a data-loss error naming what is missing. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DataLossError";
  }
}
