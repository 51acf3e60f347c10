/**
 * What a request asks HBR to do, and everything HBR does differently between those operations: one
 * small table per operation, read by the outcomes and the submit job. The request state machine,
 * the jobs and the polling are shared; only this table knows what "install" means to HBR (how the
 * operations read in messages is slack/messages/operation-words.ts).
 * Pure data, no imports: the rest of the domain builds on it.
 */

export type Operation = 'install' | 'uninstall';

export const OPERATIONS: readonly Operation[] = ['install', 'uninstall'];

/** Client statuses during which HBR is still changing the client. */
export const TRANSITIONAL_CLIENT_STATUSES: ReadonlySet<string> = new Set([
  'INSTALLING',
  'REGISTERED',
  'UPGRADING',
  'UNINSTALLING',
]);

export interface OperationSpec {
  operation: Operation;
  /** The HBR action that starts the tasks (at most 20 instances per call). */
  hbrAction: 'InstallBackupClients' | 'UninstallBackupClients';
  /** The task result clientStatus that means it worked. */
  targetStatus: string;
  /** Task result statuses that mean HBR is still at it (a failure once the task has ended). */
  inProgressStatuses: ReadonlySet<string>;
  /** Task result statuses that mean it did not work; any status not listed anywhere is shown raw. */
  failureStatuses: ReadonlySet<string>;
}

const OPERATION_SPECS: Readonly<Record<Operation, OperationSpec>> = {
  install: {
    operation: 'install',
    hbrAction: 'InstallBackupClients',
    targetStatus: 'ACTIVATED',
    inProgressStatuses: TRANSITIONAL_CLIENT_STATUSES,
    failureStatuses: new Set([
      'INSTALL_FAILED',
      'NOT_INSTALLED',
      'DEACTIVATED',
      'UNKNOWN',
      'UPGRADE_FAILED',
      'UNINSTALL_FAILED',
      'STOPPED',
    ]),
  },
  uninstall: {
    operation: 'uninstall',
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
  },
};

export function operationSpec(operation: Operation): OperationSpec {
  return OPERATION_SPECS[operation];
}
