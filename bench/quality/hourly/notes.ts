/** What the hourly grid chose and why (bench/QUALITY.md's hourly section prints it); keep it true to the latest full run. */
export const HOURLY_NOTES = `**Chosen.** (to be written from the full run)`;
