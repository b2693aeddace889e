/** The log calls the data-flow modules need; main passes @actions/core's, tests pass their own. */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}
