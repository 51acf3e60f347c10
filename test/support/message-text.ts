/**
 * Every text a person reads in a message (mrkdwn and plain text, in blocks, buttons and dialogs),
 * joined by newlines, for assertions on what a message says.
 */
export function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  const texts: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'text' && typeof v === 'string') texts.push(v);
        else visit(v);
      }
    }
  };
  visit(message);
  return texts.join('\n');
}
