/** What every phase of the deploy shares: a log group with its duration, and AWS errors in user terms. */
import * as core from '@actions/core';
import { ActionError, type AwsContext, describeAwsError } from './errors.js';
import { formatSeconds } from './format.js';

let current = 'the check of the inputs';

/** The phase running now, or the last one that ran: where a failed deploy stopped. */
export function currentPhase(): string {
  return current;
}

/** One log group per phase, with its duration. */
export async function phase<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  current = name;
  return core.group(name, async () => {
    try {
      return await body();
    } finally {
      core.info(`${name} took ${formatSeconds(Date.now() - started)}.`);
    }
  });
}

export async function translateAwsErrors<T>(context: AwsContext, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof ActionError) throw error;
    if (error instanceof Error && error.stack) core.debug(error.stack);
    throw new ActionError(describeAwsError(error, context));
  }
}
