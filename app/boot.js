// Trunk's initializer: shows how much of the app has arrived while the wasm streams in, and
// says so plainly if it cannot start. The frame itself is in index.html.
export default function boot() {
  const bar = () => document.getElementById("boot-progress");
  const status = () => document.getElementById("boot-status");
  return {
    onProgress: ({ current, total }) => {
      const progress = bar();
      if (progress && total > 0) {
        progress.max = total;
        progress.value = Math.min(current, total);
      }
    },
    onFailure: (error) => {
      const line = status();
      if (line) {
        line.textContent = navigator.onLine
          ? "Amplify could not start. Reload the page to try again."
          : "Amplify could not start offline on this device yet. Connect once, then reload.";
      }
      bar()?.remove();
      console.error(error);
    },
  };
}
