/**
 * How each operation reads in messages: its verb and forms, the sentences for task results that
 * read differently for it, and how its Approve button looks. What the operations mean to HBR is
 * domain/operation.ts.
 */
import type { Operation } from '../../domain/operation.js';

export interface OperationWords {
  /** "install": the verb, also the noun in "the install request". */
  verb: string;
  /** "installed": an instance's outcome when it worked. */
  pastTense: string;
  /** "installing": an instance's outcome while HBR works on it. */
  progressive: string;
  /** "Installed on 3 of 4", "Uninstalled from 3 of 4". */
  preposition: 'on' | 'from';
  /**
   * Sentences for task results that read differently for this operation; every other status uses
   * the general CLIENT_STATUS_SENTENCES (hbr-sentences.ts).
   */
  resultSentences: Readonly<Record<string, string>>;
  /** Style of the Approve button and of its confirm dialog. */
  approveStyle: 'primary' | 'danger';
  /**
   * A sentence for the confirm dialog after "Uninstall the HBR backup client from 3 instances in
   * cn-hangzhou?" when approving does more than the question says; '' when it does not.
   */
  consequence: (instances: number) => string;
}

const OPERATION_WORDS: Readonly<Record<Operation, OperationWords>> = {
  install: {
    verb: 'install',
    pastTense: 'installed',
    progressive: 'installing',
    preposition: 'on',
    resultSentences: {
      NOT_INSTALLED: 'backup client is not installed — HBR did not get to install it',
    },
    approveStyle: 'primary',
    consequence: () => '',
  },
  uninstall: {
    verb: 'uninstall',
    pastTense: 'uninstalled',
    progressive: 'uninstalling',
    preposition: 'from',
    resultSentences: {
      NOT_INSTALLED: 'backup client uninstalled',
      UNINSTALL_FAILED:
        'the uninstall failed — check the Cloud Assistant command output on the instance, then request the uninstall again',
      ACTIVATED: 'the backup client is still installed and active — HBR did not remove it',
    },
    approveStyle: 'danger',
    consequence: (instances) =>
      `HBR stops backing ${instances === 1 ? 'it' : 'them'} up until the client is installed again.`,
  },
};

export function operationWords(operation: Operation): OperationWords {
  return OPERATION_WORDS[operation];
}

/** "install" → "Install". */
export function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
