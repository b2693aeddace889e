/** The log calls the data-flow modules need; main passes @actions/core's, tests pass their own. */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /**
   * Whether debug lines are shown (the runner's step debug). Where a line per file would be written, it is
   * written only then: 2,000 of them cost the runner's pipe more than the uploads' own CPU.
   */
  isDebug?(): boolean;
}
