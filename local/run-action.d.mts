import type { ChildProcess } from 'node:child_process';

export declare const ACTION_ENTRY: string;
export interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The `::error::` lines the runner would turn into annotations. */
  errors: string[];
}
export declare function inputVariables(inputs: Record<string, string>): Record<string, string>;
export declare function runAction(options: {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  echo?: boolean;
  node?: string;
  /** Gets the running process, e.g. to cancel it as the runner does. */
  onStart?: (child: ChildProcess) => void;
}): Promise<ActionRun>;
export declare function parseOutputFile(text: string): Record<string, string>;
