import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // Module tables, and those of a module's subfolder (certificates/keys).
  schema: ['./src/modules/*/*.tables.ts', './src/modules/*/*/*.tables.ts'],
  out: './drizzle',
});
