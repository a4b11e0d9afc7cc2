/** Errors that callers branch on. Everything else uses built-in classes. */

/** A Kafka failure, its message free of configuration and secrets. */
export class BrokerError extends Error {
  /** Creates a broker error; pass the library error as `cause`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerError";
  }
}
