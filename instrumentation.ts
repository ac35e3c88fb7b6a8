// Runs once when the dashboard starts: reconcile jobs that a previous process left unfinished, then keep
// cached sizes fresh in the background.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startBackgroundWork } = await import("@/lib/jobs/startup");
  await startBackgroundWork();
}
