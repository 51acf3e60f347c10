/**
 * What a request asks HBR to do, and everything that differs between those operations: one small
 * table per operation, read by the outcomes, the messages and the submit job. The request state
 * machine, the jobs and the polling are shared; only this table knows what "install" means.
 * Pure data, no imports: the rest of the domain builds on it.
 */

export type Operation = 'install' | 'uninstall';

export const OPERATIONS: readonly Operation[] = ['install', 'uninstall'];

/** Client statuses during which HBR is still changing the client. */
export const TRANSITIONAL_CLIENT_STATUSES: ReadonlySet<string> = new Set(['INSTALLING', 'REGISTERED', 'UPGRADING', 'UNINSTALLING']);

export interface OperationSpec {
  operation: Operation;
  /** "install": the verb, also the noun in "the install request". */
  verb: string;
  /** "installed": an instance's outcome when it worked. */
  pastTense: string;
  /** "installing": an instance's outcome while HBR works on it. */
  progressive: string;
  /** "Installed on 3 of 4", "Uninstalled from 3 of 4". */
  preposition: 'on' | 'from';
  /** The HBR action that starts the tasks (at most 20 instances per call). */
  hbrAction: 'InstallBackupClients' | 'UninstallBackupClients';
  /** The task result clientStatus that means it worked. */
  targetStatus: string;
  /** Task result statuses that mean HBR is still at it (a failure once the task has ended). */
  inProgressStatuses: ReadonlySet<string>;
  /** Task result statuses that mean it did not work; any status not listed anywhere is shown raw. */
  failureStatuses: ReadonlySet<string>;
  /**
   * Sentences for task results that read differently for this operation; every other status uses
   * the general CLIENT_STATUS_SENTENCES (outcome.ts).
   */
  resultSentences: Readonly<Record<string, string>>;
  /** Style of the Approve button and of its confirm dialog. */
  approveStyle: 'primary' | 'danger';
  /**
   * A sentence for the confirm dialog after "Uninstall the HBR backup client from 3 instances in
   * cn-hangzhou?" when approving does more than the question says; '' when it does not.
   */
  consequence: string;
}

export const OPERATION_SPECS: Readonly<Record<Operation, OperationSpec>> = {
  install: {
    operation: 'install',
    verb: 'install',
    pastTense: 'installed',
    progressive: 'installing',
    preposition: 'on',
    hbrAction: 'InstallBackupClients',
    targetStatus: 'ACTIVATED',
    inProgressStatuses: TRANSITIONAL_CLIENT_STATUSES,
    failureStatuses: new Set(['INSTALL_FAILED', 'NOT_INSTALLED', 'DEACTIVATED', 'UNKNOWN', 'UPGRADE_FAILED', 'UNINSTALL_FAILED', 'STOPPED']),
    resultSentences: {
      NOT_INSTALLED: 'backup client is not installed — HBR did not get to install it',
    },
    approveStyle: 'primary',
    consequence: '',
  },
  uninstall: {
    operation: 'uninstall',
    verb: 'uninstall',
    pastTense: 'uninstalled',
    progressive: 'uninstalling',
    preposition: 'from',
    hbrAction: 'UninstallBackupClients',
    targetStatus: 'NOT_INSTALLED',
    inProgressStatuses: new Set(['UNINSTALLING']),
    // Anything but NOT_INSTALLED after an uninstall means the client is still there in some form.
    failureStatuses: new Set([
      'UNINSTALL_FAILED',
      'UNKNOWN',
      'ACTIVATED',
      'DEACTIVATED',
      'STOPPED',
      'INSTALLING',
      'REGISTERED',
      'UPGRADING',
      'INSTALL_FAILED',
      'UPGRADE_FAILED',
    ]),
    resultSentences: {
      NOT_INSTALLED: 'backup client uninstalled',
      UNINSTALL_FAILED: 'the uninstall failed — check the Cloud Assistant command output on the instance, then request the uninstall again',
      ACTIVATED: 'the backup client is still installed and active — HBR did not remove it',
    },
    approveStyle: 'danger',
    consequence: 'HBR stops backing them up until the client is installed again.',
  },
};

export function operationSpec(operation: Operation): OperationSpec {
  return OPERATION_SPECS[operation];
}

/** "install" → "Install". */
export function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
