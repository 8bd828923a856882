/**
 * A plain-text progress bar on stderr: redrawn in place on a terminal, one line per 10% step
 * otherwise (logs, CI), so stdout stays free for the command's output.
 *
 *     const bar = progressBar('import');
 *     bar.update(500, 2000); bar.done('2000 rows');
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const tty = Boolean(stream.isTTY);
  const width = 30;
  let lastDraw = 0;
  let lastStep = -1;
  let drawn = false;
  const line = (done: number, total: number) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(ratio * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')}`;
  };
  return {
    update(done: number, total: number) {
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        stream.write(`\r${line(done, total)}`);
        drawn = true;
        return;
      }
      const step = total > 0 ? Math.floor((Math.min(done, total) / total) * 10) : 0;
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${line(done, total)}\n`);
    },
    done(message?: string) {
      if (tty && drawn) stream.write('\n');
      if (message) stream.write(`${label}: ${message}\n`);
    },
  };
}
