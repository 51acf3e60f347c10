/** Action ids of the request message's buttons (each button's `value` is the request id), and the slash commands. */
export const APPROVE_ACTION = 'hbr_approve';
export const REJECT_ACTION = 'hbr_reject';
/** Only the requester may use it (anyone sees it): takes the pending request back. */
export const WITHDRAW_ACTION = 'hbr_withdraw';

/** block_id of the actions block holding the buttons. */
export const DECISION_BLOCK_ID = 'hbr_decision';

/** The slash commands (manifest.yml), by what plain instance IDs ask for after them. */
export const SLASH_COMMANDS = {
  install: '/hbr-install',
  uninstall: '/hbr-uninstall',
  status: '/hbr-status',
} as const;
