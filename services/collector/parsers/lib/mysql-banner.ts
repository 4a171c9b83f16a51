// What the MySQL slow and general logs share: the lines a server writes when it starts.

/** Server start banner lines (the slow and the general log write them). */
export function isMysqlBanner(text: string): boolean {
  if (text.startsWith('Tcp port: ')) return true;
  if (text.startsWith('Time ') && text.includes(' Id Command') && text.length < 80) return true;
  return (
    text.length < 400 &&
    text.includes(', Version: ') &&
    text.endsWith('started with:') &&
    !text.startsWith('#')
  );
}
