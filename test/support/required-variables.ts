/** The variables a start with no configuration at all names as required (HTTP mode). */
export const REQUIRED_VARIABLES = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'HBR_APPROVERS',
  'HBR_REQUESTERS',
  'HBR_ALLOWED_CHANNELS',
] as const;
