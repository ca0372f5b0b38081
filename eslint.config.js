import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "dist/**",
      "ui/dist/**",
      ".tmp/**",
      "fleet-repo-example/**",
      "**/*.mjs",
      "eslint.config.js",
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "import-x": importX },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "import-x/no-cycle": "error",
      // Prettier formats code to 120 columns; this keeps comments there too (long strings may stay whole).
      "max-len": [
        "error",
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  {
    // engine/ is the pure core and the orchestration; it never imports the edges.
    files: ["engine/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/sources/**", "**/sinks/**", "**/clients/**", "**/agent/**", "**/app/**", "**/lab/**"],
              message:
                "engine/ never imports sources/, sinks/, clients/, agent/, app/ or lab/; pass a port in instead.",
            },
          ],
        },
      ],
    },
  },
  {
    // app/ is the composition root: it uses each folder's public surface (its index.ts), not its insides.
    files: ["app/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.\\./(engine|clients|sinks|sources)/(?!index\\.ts$)([^/]+/)?(?!index\\.ts$)[^/]+$",
              message:
                "app/ imports engine/index.ts, clients/<x>/index.ts, sinks/<x>/index.ts or sources/<x>/index.ts, not their insides.",
            },
          ],
        },
      ],
    },
  },
);
