/** Prints where the server log and temp dirs are (kept for inspection; the OS cleans /tmp). */
export default async function globalTeardown(): Promise<void> {
  console.log(`UI test server dirs and lab.log: ${process.env.JI_UI_BASE}`);
}
