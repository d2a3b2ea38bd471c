/** Builds dist/players (SDK bundle + demo console); resolves with what it did. */
export function buildPlayers(root?: string, options?: { force?: boolean }): Promise<string>;
