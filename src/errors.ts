/** Errors that callers branch on. Everything else uses built-in classes. */

/** A Kafka failure, its message free of configuration and secrets. */
export class BrokerError extends Error {
  /** Creates a broker error; pass the library error as `cause`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerError";
  }
}

/**
 * Bad input found once the flags have parsed (a scenario file, an
 * incident's target): reported like a bad flag, one line and exit 2.
 */
export class UsageError extends RangeError {
  /** Creates a usage error with its one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
