/** The CLI's lazy commands list the summaries their modules state, and load them to run or print usage. */
import { describe, expect, it } from "vitest";
import { approveCommand } from "./approve-command.ts";
import { COMMANDS } from "./main.ts";
import { planCommand } from "./plan-command.ts";
import { serveCommand } from "./serve-command.ts";

describe("bosun's commands", () => {
  it("lazy stubs carry each command's own summary and usage", async () => {
    const real = [planCommand, approveCommand, serveCommand];
    for (const command of real) {
      const stub = COMMANDS.find((c) => c.name === command.name);
      expect(stub?.summary).toBe(command.summary);
      expect(await stub?.loadUsage?.()).toBe(command.usage);
    }
    expect(COMMANDS.map((c) => c.name)).toEqual(["validate", "plan", "approve", "serve"]);
  });
});
