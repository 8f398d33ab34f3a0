/** What a command returns to `main`, which prints it and exits: commands never print or exit themselves. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}
